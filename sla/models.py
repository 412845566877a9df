"""SLA data: business calendars, policies with escalation steps, per-ticket clocks, events."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import ChannelKind, Priority, Status, Tag, Team, Ticket


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones() and value != "UTC":
        raise ValidationError(_("Unknown time zone %(tz)s."), params={"tz": value})


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"


class BusinessInterval(models.Model):
    """Open hours on one weekday. An end not after the start runs past midnight."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("opens"))
    end = models.TimeField(
        _("closes"), help_text=_("00:00 means midnight; before opens: overnight")
    )

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class CalendarDay(models.Model):
    """A holiday (no hours) or a special day (only the hours given; several rows allowed)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    start = models.TimeField(_("opens"), null=True, blank=True)
    end = models.TimeField(_("closes"), null=True, blank=True)

    class Meta:
        ordering = ["date", "start"]
        indexes = [models.Index(fields=["calendar", "date"], name="sla_calday")]
        verbose_name = _("holiday or special day")
        verbose_name_plural = _("holidays and special days")

    def __str__(self) -> str:
        if self.start is None:
            return f"{self.date} {self.name or _('closed')}"
        return f"{self.date} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self) -> None:
        if (self.start is None) != (self.end is None):
            raise ValidationError(_("Give both opening and closing time, or neither (closed)."))


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SlaPolicy(models.Model):
    """Targets for tickets matching all given conditions (empty condition = any)."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=0, help_text=_("first match wins"))
    is_active = models.BooleanField(_("active"), default=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    channel_kinds = models.JSONField(_("channel kinds"), default=list, blank=True)
    teams = models.ManyToManyField(Team, blank=True, related_name="+", verbose_name=_("teams"))
    tags = models.ManyToManyField(
        Tag,
        blank=True,
        related_name="+",
        verbose_name=_("customer tags"),
        help_text=_("matches when the ticket carries any of these tags, e.g. vip"),
    )
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    business_hours = models.BooleanField(_("count business hours only"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="policies"
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warning threshold (percent of target)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        bad = set(self.priorities or []) - set(Priority.values)
        if bad:
            raise ValidationError({"priorities": _("Unknown: %s") % ", ".join(sorted(bad))})
        bad = set(self.channel_kinds or []) - set(ChannelKind.values)
        if bad:
            raise ValidationError({"channel_kinds": _("Unknown: %s") % ", ".join(sorted(bad))})
        if self.business_hours and self.calendar_id is None:
            raise ValidationError({"calendar": _("Business hours need a calendar.")})

    def target_minutes(self, metric: str) -> int | None:
        return getattr(self, f"{metric}_minutes")


class EscalationAction(models.TextChoices):
    NOTIFY_MANAGERS = "notify_managers", _("Notify managers")
    RAISE_PRIORITY = "raise_priority", _("Raise priority one step")
    ADD_TAG = "add_tag", _("Add tag")
    REASSIGN_TEAM = "reassign_team", _("Reassign to team")


class EscalationStep(models.Model):
    """One action at a level: level 1 runs `after_minutes` after the breach, and so on."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")
    metric = models.CharField(
        max_length=20, choices=Metric.choices, blank=True, help_text=_("blank: every target")
    )
    level = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    after_minutes = models.PositiveIntegerField(_("minutes after breach"), default=0)
    position = models.PositiveSmallIntegerField(default=0)
    action = models.CharField(max_length=20, choices=EscalationAction.choices)
    tag = models.ForeignKey(
        Tag, null=True, blank=True, on_delete=models.SET_NULL, help_text=_('blank: "overdue"')
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["level", "position", "id"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")

    def __str__(self) -> str:
        return f"L{self.level} +{self.after_minutes}m {self.get_action_display()}"

    def clean(self) -> None:
        if self.action == EscalationAction.REASSIGN_TEAM and self.team_id is None:
            raise ValidationError({"team": _("Choose the escalation team.")})


class StuckStatusRule(models.Model):
    """A ticket in `status` for longer than `after_minutes` notifies its operator."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="stuck_rules")
    status = models.CharField(
        max_length=10, choices=[(s.value, s.label) for s in Status if s != Status.CLOSED]
    )
    after_minutes = models.PositiveIntegerField()
    notify_customer = models.BooleanField(default=False)
    customer_message = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "status"], name="sla_stuck_rule_unique"),
        ]
        verbose_name = _("stuck-status alert")
        verbose_name_plural = _("stuck-status alerts")

    def __str__(self) -> str:
        return f"{self.status} > {self.after_minutes} min"


class ClockStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


class SlaClock(models.Model):
    """One timer per ticket and metric; `cycle` counts restarts (next response, reopen).

    Elapsed time is kept in the policy's unit (business or calendar seconds):
    `elapsed_seconds` up to `running_since`, plus what has run since then.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="clocks"
    )
    cycle = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=ClockStatus.choices)
    business = models.BooleanField(default=False)
    target_seconds = models.PositiveIntegerField()
    elapsed_seconds = models.FloatField(default=0)
    started_at = models.DateTimeField()
    running_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0)  # calendar seconds spent paused, this cycle
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)  # met, or answered after breach
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric"], name="sla_clock_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="sla_clock_due"),
            models.Index(
                fields=["warn_at"],
                name="sla_clock_warn",
                condition=Q(status="running", warned_at__isnull=True),
            ),
            models.Index(
                fields=["next_escalation_at"],
                name="sla_clock_escalate",
                condition=Q(status="breached", next_escalation_at__isnull=False),
            ),
        ]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.metric} {self.status}"


class SlaStatusWatch(models.Model):
    """How long the ticket has been in its current status, for stuck-status alerts."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="sla_watch")
    status = models.CharField(max_length=10)
    since = models.DateTimeField()
    rule = models.ForeignKey(StuckStatusRule, null=True, blank=True, on_delete=models.SET_NULL)
    alert_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["alert_at"],
                name="sla_watch_due",
                condition=Q(alert_at__isnull=False, alerted_at__isnull=True),
            ),
        ]
        verbose_name = _("status watch")
        verbose_name_plural = _("status watches")

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.status} since {self.since}"


class SlaEventKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACHED = "breached", _("Breached")
    ESCALATED = "escalated", _("Escalated")
    MET = "met", _("Met")
    ANSWERED_LATE = "late", _("Stopped after breach")
    STUCK = "stuck", _("Stuck in status")


class SlaEvent(models.Model):
    """What the SLA engine did, once: the unique key makes every notification idempotent."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events")
    clock = models.ForeignKey(
        SlaClock, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    metric = models.CharField(max_length=20, blank=True)
    cycle = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=10, choices=SlaEventKind.choices)
    level = models.PositiveSmallIntegerField(default=0)
    key = models.CharField(max_length=120, unique=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)  # notifications and actions ran

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="sla_event_ticket"),
            models.Index(fields=["kind", "created_at"], name="sla_event_kind"),
        ]
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.metric} {self.kind} L{self.level}"
