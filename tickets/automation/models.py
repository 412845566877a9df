"""Automation tables: rules, per-team routing, per-channel settings, knowledge base, bot state."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import AgentProfile, Channel, Tag, Team, Ticket


class Trigger(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("Ticket created")
    MESSAGE_RECEIVED = "message_received", _("Customer message received")
    TICKET_UPDATED = "ticket_updated", _("Ticket updated")
    TIME = "time", _("Time-based (checked every few minutes)")


def _conditions_help() -> str:
    from tickets.rules.conditions import CONDITIONS

    lines = [f"{name}: {fn.__doc__.strip().splitlines()[0]}" for name, fn in CONDITIONS.items()]
    return (
        'A JSON list, e.g. [{"type": "text_contains", "words": ["достав", "delivery"]}]. '
        'Any condition takes "not": true. Known types — ' + "; ".join(lines)
    )


def _actions_help() -> str:
    from tickets.rules.actions import ACTIONS

    lines = [f"{name}: {spec.help}" for name, spec in ACTIONS.items()]
    return 'A JSON list, e.g. [{"type": "add_tag", "tag": "delivery"}]. Known types — ' + "; ".join(
        lines
    )


class Rule(models.Model):
    """One automation rule: when `trigger` fires and the conditions hold, run the actions."""

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(
        _("order"), default=100, help_text=_("Rules run from the lowest number up.")
    )
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.MESSAGE_RECEIVED
    )
    match = models.CharField(
        _("match"),
        max_length=3,
        choices=[("all", _("all conditions")), ("any", _("any condition"))],
        default="all",
    )
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    stop_processing = models.BooleanField(
        _("stop processing"),
        default=False,
        help_text=_("When this rule matches, later rules are not evaluated."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["trigger", "is_active", "position"], name="rule_order")]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from tickets.rules.engine import RuleInvalid, rule_validate

        try:
            rule_validate(conditions=self.conditions, actions=self.actions)
        except RuleInvalid as exc:
            raise ValidationError({exc.field: exc.message}) from exc


class RuleFiring(models.Model):
    """A time-based rule fired on a ticket: fires once per ticket and status period."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    status_since = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "status_since"], name="rule_firing_once"
            )
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} on #{self.ticket_id}"


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    MANUAL = "manual", _("Manual (team queue only)")


class Purpose(models.TextChoices):
    NONE = "", _("—")
    SALES = "sales", _("Sales")
    SUPPORT = "support", _("Support")


class TeamRouting(models.Model):
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="routing")
    strategy = models.CharField(
        _("strategy"), max_length=20, choices=Strategy.choices, default=Strategy.ROUND_ROBIN
    )
    sticky = models.BooleanField(
        _("sticky"),
        default=True,
        help_text=_("Give a customer's ticket to their previous agent when that agent is free."),
    )
    skills_strict = models.BooleanField(
        _("skills required"),
        default=False,
        help_text=_(
            "When no agent with the ticket's skill tags is free, wait in the team queue "
            "instead of giving it to another free agent."
        ),
    )
    default_for_purpose = models.CharField(
        _("default team for channels of purpose"),
        max_length=10,
        choices=Purpose.choices,
        blank=True,
    )
    last_agent = models.ForeignKey(
        AgentProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("team routing")
        verbose_name_plural = _("team routing")

    def __str__(self) -> str:
        return f"{self.team}: {self.get_strategy_display()}"


class AgentSkills(models.Model):
    agent = models.OneToOneField(AgentProfile, on_delete=models.CASCADE, related_name="skills")
    tags = models.ManyToManyField(Tag, blank=True, related_name="+")

    class Meta:
        verbose_name = _("agent skills")
        verbose_name_plural = _("agent skills")

    def __str__(self) -> str:
        return str(self.agent)


def validate_menu(value) -> None:
    from tickets.services.bot import MenuInvalid, menu_validate

    try:
        menu_validate(value)
    except MenuInvalid as exc:
        raise ValidationError(str(exc)) from exc


MENU_HELP = _(
    'A JSON tree: {"text": "How can we help?", "options": [{"key": "1", "label": "Delivery", '
    '"tags": ["delivery"], "team": "Logistics", "reply": "optional answer", "options": [...]}, '
    '{"key": "0", "label": "Operator", "operator": true}]}. Empty: no menu.'
)


class ChannelSettings(models.Model):
    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="automation")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, blank=True)
    default_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("New tickets go to this team; empty: the team that serves the purpose."),
    )
    menu = models.JSONField(
        _("self-service menu"),
        default=dict,
        blank=True,
        help_text=MENU_HELP,
        validators=[validate_menu],
    )
    menu_on_new_ticket = models.BooleanField(_("send the menu on a new ticket"), default=False)
    bot_answers = models.BooleanField(_("answer from the knowledge base"), default=False)
    after_hours_reply = models.TextField(
        _("outside business hours reply"),
        blank=True,
        help_text=_(
            "Sent once per ticket outside business hours. Variables: {customer_name}, "
            "{ticket_id}, {expected_at} (when business hours start again)."
        ),
    )

    class Meta:
        verbose_name = _("channel automation")
        verbose_name_plural = _("channel automation")

    def __str__(self) -> str:
        return str(self.channel)


class KnowledgeArticle(models.Model):
    question = models.CharField(_("question"), max_length=300)
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_("Comma-separated words or stems (доставк, delivery time, ...)."),
    )
    answer = models.TextField(_("answer"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["question"]
        verbose_name = _("knowledge base answer")
        verbose_name_plural = _("knowledge base answers")

    def __str__(self) -> str:
        return self.question


class BotState(models.TextChoices):
    MENU = "menu", _("Menu shown")
    ANSWERED = "answered", _("Answered by bot")


class BotSession(models.Model):
    """The bot is talking to the customer on this ticket (menu shown or answer given)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="bot_session")
    state = models.CharField(max_length=10, choices=BotState.choices)
    menu_path = models.JSONField(default=list, blank=True)  # keys from the root to the node shown
    article = models.ForeignKey(KnowledgeArticle, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("bot session")
        verbose_name_plural = _("bot sessions")

    def __str__(self) -> str:
        return f"#{self.ticket_id}: {self.state}"
