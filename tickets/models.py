"""The core data model: customers, channels, teams, agents, tickets, messages."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChannelKind(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", pgettext_lazy("channel", "Email")
    WEBCHAT = "webchat", _("Web chat")
    GENERIC = "generic", _("Generic webhook")


class Channel(models.Model):
    """A configured customer channel: one bot, one WhatsApp number, one mailbox, ..."""

    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=120)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    secret = models.CharField(_("secret"), max_length=200)
    # After a rotation the old secret stays valid until `previous_secret_until`, so a
    # messenger still signing with it during the switch-over is not refused.
    previous_secret = models.CharField(_("previous secret"), max_length=200, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    external_id = models.CharField(_("CRM id"), max_length=100, blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    # Attributes synced from the CRM (plan, lifetime value, manager...), shown on the card.
    crm_attributes = models.JSONField(_("CRM attributes"), default=dict, blank=True)
    crm_synced_at = models.DateTimeField(null=True, blank=True)
    # Set when the customer's personal data was erased on request (the row stays so that
    # tickets and metrics keep their counts).
    erased_at = models.DateTimeField(null=True, blank=True)
    # Set when this customer was linked into another one (the same person): the surviving
    # customer holds the identities and tickets; this row stays for the record.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_customers",
        verbose_name=_("linked into"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"#{self.pk}"


class CustomerIdentity(models.Model):
    """How a customer is known on one channel (Telegram user id, phone, email address)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="identities")
    external_id = models.CharField(max_length=255)
    display_name = models.CharField(max_length=200, blank=True)
    username = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="identity_unique"),
        ]
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")

    def __str__(self) -> str:
        return f"{self.channel.kind}:{self.external_id}"


class Team(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class OnlineState(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class WorkspaceSettings(models.Model):
    """Site-wide workspace switches, one row (pk=1), edited by admins."""

    restrict_operators_to_teams = models.BooleanField(
        _("operators see only their teams' tickets"),
        default=False,
        help_text=_(
            "When on, an operator sees and works only tickets of the teams they belong to "
            "(and tickets assigned to them). Managers and admins see everything."
        ),
    )

    class Meta:
        verbose_name = _("workspace settings")
        verbose_name_plural = _("workspace settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class AgentProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="agents")
    capacity = models.PositiveSmallIntegerField(_("max open tickets"), default=10)
    online_state = models.CharField(
        max_length=10, choices=OnlineState.choices, default=OnlineState.OFFLINE
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Empty means "as the browser / site default".
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    color = models.CharField(
        _("colour"),
        max_length=7,
        default="#6c757d",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #1a2b3c."))],
    )
    # Part of the tags version the per-process tag cache is checked against.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


ACTIVE_STATUSES = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD]


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Ticket(models.Model):
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="tickets")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    # 0 urgent .. 3 low, kept in step with `priority` by the services so the queue sorts in SQL.
    priority_rank = models.PositiveSmallIntegerField(default=2)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    first_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_agent_message_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    agent_reply_count = models.PositiveIntegerField(default=0)
    last_message_preview = models.CharField(max_length=200, blank=True)
    # The nearest due time of the ticket's running or breached SLA clocks (NULL: none), kept
    # by `sla` through tickets.services.ticket_sla_due_set so the queue sorts by it in SQL.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    # A merged ticket is closed and points at the ticket that received its messages.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_tickets"
    )
    # The ticket's id in the help desk it was imported from (empty for native tickets).
    external_id = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="ticket_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "priority_rank", "created_at"], name="ticket_queue"),
            # The queue's default order over active tickets: priority, SLA due, age.
            models.Index(
                fields=["priority_rank", "sla_due_at", "created_at", "id"],
                name="ticket_queue_sla",
                condition=Q(status__in=["new", "open", "pending", "on_hold"]),
            ),
            # The saved views' counts read only this (an index-only scan of the open work).
            models.Index(
                fields=["assignee", "priority_rank", "sla_due_at"],
                name="ticket_active_counts",
                condition=Q(status__in=["new", "open", "pending", "on_hold"]),
            ),
            # The queue filtered by channel (and status, priority) over the open work: the
            # page's count reads only this index.
            models.Index(
                fields=["channel", "status", "priority"],
                name="ticket_active_channel",
                condition=Q(status__in=["new", "open", "pending", "on_hold"]),
            ),
            models.Index(fields=["assignee", "status"], name="ticket_assignee"),
            models.Index(fields=["team", "status"], name="ticket_team"),
            models.Index(fields=["customer", "channel", "status"], name="ticket_customer"),
            models.Index(fields=["created_at"], name="ticket_created"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    NOT_SENT = "not_sent", _("Internal")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Retrying")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    is_internal = models.BooleanField(default=False)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)  # sanitised before it is stored
    # NULL, not "", for outbound messages without a channel id: the unique constraint skips NULL.
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    reply_to_external_id = models.CharField(max_length=255, blank=True)
    delivery_status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    delivery_error = models.TextField(blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    inbound_event_id = models.BigIntegerField(null=True, blank=True)
    # Bot menus for adapters that render native buttons (see tickets/services/bot.py):
    # {"type": "menu", "prompt": str, "options": [{"key": str, "label": str}, ...]}; {} = none.
    buttons = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(external_id__isnull=False),
                name="message_external_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket"),
            models.Index(
                fields=["delivery_status", "next_attempt_at"],
                name="message_retry",
                condition=Q(delivery_status="retrying"),
            ),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.get_author_kind_display()}: {self.text[:60]}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/", blank=True)
    url = models.URLField(max_length=1000, blank=True)  # where it came from, if not yet stored
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename or self.url


class CannedResponse(models.Model):
    """A saved reply. Shared with a team, personal (owner set), or global (neither).

    The body may contain placeholders such as {{customer_name}}, {{ticket_number}} and
    {{agent_name}}; they are substituted as plain text, never rendered as a template.
    """

    title = models.CharField(_("title"), max_length=120)
    shortcut = models.SlugField(_("shortcut"), max_length=40, unique=True)
    body = models.TextField(_("text"))
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        verbose_name=_("owner"),
    )
    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return f"/{self.shortcut} {self.title}"


class TicketEvent(models.Model):
    """Append-only history of a ticket: who did what, when. Written only by services."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(max_length=120, blank=True)  # "customer", "rule:12", ...
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket")]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"


class WorkSession(models.Model):
    """A span of focused work by one agent on one ticket, reported by the workspace.

    AHT sums `seconds` per ticket (docs/metrics.md). A span ends with a reply, leaving the
    ticket, losing focus or 5 minutes idle.
    """

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_sessions"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="work_sessions")
    # The browser's id for this span: repeated beacons for one span update one row.
    client_id = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    seconds = models.PositiveIntegerField(default=0)
    end_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "client_id"], name="work_session_client_unique"
            ),
        ]
        indexes = [models.Index(fields=["ticket", "agent"], name="work_session_ticket")]
        verbose_name = _("work session")
        verbose_name_plural = _("work sessions")

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.agent_id} {self.seconds}s"
