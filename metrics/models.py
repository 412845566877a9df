"""Metrics data: surveys and answers, CRM revenue events, ROI inputs, per-ticket facts.

Everything else the dashboards show is computed from `tickets` and `sla` tables (read only).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel, Customer, Ticket


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT (1–5)")
    NPS = "nps", _("NPS (0–10)")
    CES = "ces", _("CES (1–7)")


# (lowest, highest) answer of each survey kind.
SCALES = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10), SurveyKind.CES: (1, 7)}


class Survey(models.Model):
    """One survey sent to a customer through a ticket's channel."""

    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="surveys")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message_id = models.BigIntegerField(null=True, blank=True)  # the outbound survey message
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "kind", "sent_at"], name="survey_customer"),
            models.Index(fields=["ticket", "kind"], name="survey_ticket"),
        ]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return f"{self.kind} #{self.ticket_id}"

    @property
    def scale(self) -> tuple[int, int]:
        return SCALES[self.kind]


class SurveyResponse(models.Model):
    """The customer's answer: one per survey (a later answer replaces the score)."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="response")
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    comment = models.TextField(_("comment"), blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=10, default="message")  # message, link, button
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "created_at"], name="survey_response_kind")]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"{self.kind}={self.score} #{self.ticket_id}"


class RevenueEvent(models.Model):
    """A purchase reported by the CRM; `order_id` makes imports idempotent."""

    order_id = models.CharField(_("order id"), max_length=100, unique=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="revenue_events"
    )
    customer_external_id = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="RUB")
    occurred_at = models.DateTimeField(_("date"))
    source = models.CharField(max_length=20, default="api")  # api, csv
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "occurred_at"], name="revenue_customer")]
        verbose_name = _("revenue event")
        verbose_name_plural = _("revenue events")

    def __str__(self) -> str:
        return f"{self.order_id} {self.amount} {self.currency}"


class MetricsSettings(models.Model):
    """ROI inputs and survey/metric options a manager edits. One row (pk=1)."""

    agent_hourly_cost = models.DecimalField(
        _("agent cost per hour"), max_digits=10, decimal_places=2, default=Decimal("800")
    )
    tool_costs_per_month = models.DecimalField(
        _("tool costs per month"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    attribution_window_days = models.PositiveSmallIntegerField(
        _("attribution window, days"), default=30, validators=[MinValueValidator(1)]
    )
    average_check = models.DecimalField(
        _("average check (when no revenue events)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    fcr_window_days = models.PositiveSmallIntegerField(
        _("FCR window, days"), default=7, validators=[MinValueValidator(1)]
    )
    default_handle_minutes = models.PositiveSmallIntegerField(
        _("estimated minutes per agent reply (AHT without time tracking)"), default=6
    )
    csat_after_solve = models.BooleanField(_("send CSAT after solve"), default=True)
    ces_after_solve = models.BooleanField(_("send CES after solve"), default=False)
    nps_enabled = models.BooleanField(_("send NPS"), default=True)
    nps_cooldown_days = models.PositiveSmallIntegerField(_("NPS cool-down, days"), default=90)
    survey_expiry_days = models.PositiveSmallIntegerField(
        _("survey answers accepted, days"), default=7
    )
    service_level_percent = models.PositiveSmallIntegerField(
        _("target service level, %"), default=80, validators=[MaxValueValidator(99)]
    )
    service_level_seconds = models.PositiveIntegerField(_("answered within, seconds"), default=60)
    forecast_weeks = models.PositiveSmallIntegerField(
        _("forecast from the last weeks"), default=4, validators=[MinValueValidator(1)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("metrics settings")
        verbose_name_plural = _("metrics settings")

    def __str__(self) -> str:
        return str(_("Metrics settings"))

    @classmethod
    def load(cls) -> MetricsSettings:
        """The settings row (created on first use); read once per response inside
        `metrics.selectors.common.response_scope()`."""
        from metrics.selectors.common import scoped

        return scoped(("metrics_settings",), lambda: cls.objects.get_or_create(pk=1)[0])


class TicketFact(models.Model):
    """Facts the metrics need that the ticket does not keep, recorded as they happen.

    `first_solved_at`: the first solve (Ticket.solved_at is the latest one after a reopen).
    `frt_business_seconds`: first response time in the business hours of the ticket's SLA
    policy (calendar seconds when the policy counts calendar time or none matches).
    """

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="metric_fact"
    )
    first_solved_at = models.DateTimeField(null=True, blank=True)
    # The latest solve metrics saw: the day a reopen takes the ticket out of (rollups).
    last_solved_at = models.DateTimeField(null=True, blank=True)
    # first_solved_at − ticket.created_at in seconds (indexed: the summary reads one value
    # bucket of resolution times by a range scan).
    resolution_seconds = models.FloatField(null=True, blank=True, db_index=True)
    frt_business_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket fact")
        verbose_name_plural = _("ticket facts")

    def __str__(self) -> str:
        return f"#{self.ticket_id}"


class FactDay(models.Model):
    """A UTC day whose rollup rows (DailyRollup, DurationBucket, RepeatPair) are built.

    `fcr_window_days`: the FCR window the day's `fcr` counts were taken with (another
    window setting makes the day unusable until rebuilt).
    """

    day = models.DateField(primary_key=True)
    fcr_window_days = models.PositiveSmallIntegerField()
    built_at = models.DateTimeField(default=timezone.now)
    # SlaRollup counts the clocks last updated at or before this moment; the clocks of the
    # day's tickets updated after it are read from the raw rows.
    clocks_until = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("rollup day")
        verbose_name_plural = _("rollup days")

    def __str__(self) -> str:
        return str(self.day)


class RollupDirty(models.Model):
    """Append-only mark: the UTC days `day_from..day_to` changed after their rollup was built.

    Written in the transaction of the ticket change (dispatcher subscribers), so a mark
    exists exactly when the change is committed; a rebuild deletes only the marks it saw
    before reading the tickets. Marked days are read from the raw rows until rebuilt.
    """

    day_from = models.DateField()
    day_to = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["day_from", "day_to"], name="rollup_dirty_days")]

    def __str__(self) -> str:
        return f"{self.day_from}..{self.day_to}"


class DailyRollup(models.Model):
    """Counts and sums per UTC day × channel × team × assignee × priority.

    Created-cohort columns (`created`, `answered`, `frt_sum`) count tickets created that
    day; solved-cohort columns count tickets whose (latest) solve falls on that day. The
    dimensions are the ticket's current ones; merged tickets are left out.
    """

    day = models.DateField()
    channel_id = models.IntegerField()
    team_id = models.IntegerField(null=True)
    assignee_id = models.IntegerField(null=True)
    priority = models.CharField(max_length=10)
    created = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    frt_sum = models.FloatField(default=0)
    solved = models.IntegerField(default=0)
    resolution_sum = models.FloatField(default=0)
    one_touch = models.IntegerField(default=0)
    fcr = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    bot_contained = models.IntegerField(default=0)
    replies = models.BigIntegerField(default=0)
    replied = models.IntegerField(default=0)
    # Created cohort, for the per-day and per-dimension tables: tickets with a first
    # response (first_response_at set), tickets since solved, business-hours FRT facts.
    responded = models.IntegerField(default=0)
    created_solved = models.IntegerField(default=0)
    frt_business_n = models.IntegerField(default=0)
    frt_business_sum = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="daily_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel_id}/{self.team_id}/{self.assignee_id}/{self.priority}"


class DurationBucket(models.Model):
    """How many FRT ("frt", created that day) or resolution times ("res", solved that day)
    fall in each value bucket (metrics.rollup.EDGES); no dimensions."""

    day = models.DateField()
    kind = models.CharField(max_length=3)
    bucket = models.SmallIntegerField()
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["kind", "day"], name="duration_bucket_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}[{self.bucket}]={self.n}"


class RepeatPair(models.Model):
    """Tickets created on `day` whose customer's previous ticket (`step` 1) or the one before
    (`step` 2) was created on `prev_day` (order: created_at, id; merged tickets left out).
    Repeat contact rate over a period follows from these: see metrics.rollup."""

    day = models.DateField()
    prev_day = models.DateField()
    step = models.SmallIntegerField()
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "prev_day"], name="repeat_pair_day")]

    def __str__(self) -> str:
        return f"{self.day} ← {self.prev_day} ({self.step}): {self.n}"


class SlaRollup(models.Model):
    """Decided SLA clocks (met or breached) per day of the ticket's creation × the ticket's
    channel × team × assignee × priority × metric, counting only clocks last updated at or
    before the day's `FactDay.clocks_until` (later updates are read from the raw rows)."""

    day = models.DateField()
    channel_id = models.IntegerField()
    team_id = models.IntegerField(null=True)
    assignee_id = models.IntegerField(null=True)
    priority = models.CharField(max_length=10)
    metric = models.CharField(max_length=20)
    decided = models.IntegerField(default=0)
    breached = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="sla_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.breached}/{self.decided}"


class HourRollup(models.Model):
    """Tickets created per UTC hour × channel × team × assignee × priority (merged tickets
    left out): the weekday × hour heatmap and the staffing forecast."""

    day = models.DateField()
    hour = models.SmallIntegerField()
    channel_id = models.IntegerField()
    team_id = models.IntegerField(null=True)
    assignee_id = models.IntegerField(null=True)
    priority = models.CharField(max_length=10)
    created = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="hour_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.hour:02d}h {self.created}"


class RollupWatermark(models.Model):
    """One row (pk=1): every SLA clock last updated at or before `clocks_until` is counted in
    the SlaRollup of its ticket's day (rollup_refresh rebuilds the days of the clocks updated
    since the previous watermark, then moves it)."""

    clocks_until = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.clocks_until)
