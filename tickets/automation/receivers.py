"""Subscribers to ticket events (tickets.dispatch): rules, bot, routing on intake.

They run inside the intake's transaction, after `sla`'s subscribers (this app is listed
after `sla`), so SLA clocks exist before rules change priority or team.

The intake created or locked the ticket in that transaction and hands over its current
object: automation changes that object through one `TicketUpdate` (`locked=True`, no
re-read) and writes it once per message: for a new ticket the default team and the
ticket-created rules (left by TICKET_CREATED for the MESSAGE_RECEIVED that the intake
says follows), then the message rules and routing's pick: one UPDATE, one batch of
events, one TICKET_UPDATED. A bot reply, a menu or an auto-reply in between saves what
gathered first and continues on the ticket the reply left. At the end the intake's object
is brought up to date from the result (no query), since the intake publishes it.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from helpdesk.scoped_cache import scoped_forget, scoped_put, scoped_take
from tickets import dispatch
from tickets.automation.models import ChannelSettings, Rule, TeamRouting, Trigger
from tickets.models import AuthorKind, Tag, Team, Ticket
from tickets.rules.apply import (
    automation_running,
    is_automation_running,
    rules_apply,
    rules_cache_clear,
    rules_pass,
)
from tickets.rules.tag_cache import tag_cache_clear
from tickets.services.bot import (
    after_hours_reply_due,
    after_hours_reply_send,
    bot_idle,
    bot_turn,
)
from tickets.services.intake import message_follows_key
from tickets.services.routing import default_team_pick, ticket_route_into
from tickets.services.tickets import TicketUpdate, ticket_update_begin, ticket_update_save

_RELATIONS = ("team", "assignee", "channel", "customer")
_CREATED_PENDING = ("automation_pending", "created_pass")  # not forgotten by config edits


def _sync(target: Ticket, source: Ticket) -> None:
    """Copy the ticket as automation left it onto the intake's object."""
    if source is target:
        return
    for field in Ticket._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    for name in _RELATIONS:
        field = Ticket._meta.get_field(name)
        if field.is_cached(source):
            field.set_cached_value(target, field.get_cached_value(source))


def _created_pass(update: TicketUpdate, message) -> bool:
    """A new ticket: its channel's default team, then the ticket-created rules. Returns
    whether a rule sent the menu."""
    default_team_pick(update=update)
    return rules_pass(trigger=Trigger.TICKET_CREATED, update=update, message=message).menu_sent


def on_ticket_created(*, ticket, message=None, **_kw) -> None:
    if message is not None and scoped_take(message_follows_key(ticket.pk)) == message.pk:
        # The intake's MESSAGE_RECEIVED comes next: both passes become one ticket change.
        scoped_put((*_CREATED_PENDING, ticket.pk), True)
        return
    with automation_running():
        update = ticket_update_begin(ticket=ticket, locked=True, new=True)
        _created_pass(update, message)
        _sync(ticket, ticket_update_save(update=update))


def on_message_received(*, ticket, message, **_kw) -> None:
    created = bool(scoped_take((*_CREATED_PENDING, ticket.pk)))
    if message.author_kind != AuthorKind.CUSTOMER and not created:
        return
    with automation_running():
        update = ticket_update_begin(ticket=ticket, locked=True, new=created)
        menu_sent = _created_pass(update, message) if created else False
        if message.author_kind == AuthorKind.CUSTOMER:
            _message_pass(update, message, no_session=created and not menu_sent)
        _sync(ticket, ticket_update_save(update=update))


def _message_pass(update: TicketUpdate, message, *, no_session: bool) -> None:
    """The bot's turn, the message rules, then (unless the bot is talking) the outside-hours
    reply and routing; field changes gather in `update`."""
    if update.changed and not (no_session and bot_idle(ticket=update.ticket)):
        update.rebase(ticket_update_save(update=update))  # the bot may write the ticket
    turn = bot_turn(ticket=update.ticket, message=message, no_session=no_session)
    update.rebase(turn.ticket)
    result = rules_pass(trigger=Trigger.MESSAGE_RECEIVED, update=update, message=message)
    # A rule may have sent the menu: then the bot is talking and nobody is assigned yet.
    if turn.handled or turn.session_open or result.menu_sent:
        return
    settings_ = after_hours_reply_due(ticket=update.ticket, at=message.sent_at)
    if settings_ is not None:
        current = ticket_update_save(update=update)
        reply = after_hours_reply_send(ticket=current, settings_=settings_, at=message.sent_at)
        update.rebase(reply.ticket)
    ticket_route_into(update=update)


def on_ticket_updated(*, ticket, **_kw) -> None:
    if is_automation_running():
        return
    with automation_running():
        rules_apply(trigger=Trigger.TICKET_UPDATED, ticket=ticket)


def _clear(**_kw) -> None:
    rules_cache_clear()
    scoped_forget("automation")


def _forget(**_kw) -> None:
    scoped_forget("automation")


SUBSCRIPTIONS = [
    (dispatch.TICKET_CREATED, on_ticket_created),
    (dispatch.MESSAGE_RECEIVED, on_message_received),
    (dispatch.TICKET_UPDATED, on_ticket_updated),
]


def connect() -> None:
    for event, fn in SUBSCRIPTIONS:
        dispatch.subscribe(event, fn)
    post_save.connect(_clear, sender=Rule, dispatch_uid="automation_rules_cache")
    post_delete.connect(_clear, sender=Rule, dispatch_uid="automation_rules_cache_del")
    # What an open intake scope (helpdesk.scoped_cache) holds: read anew after an edit.
    for model in (ChannelSettings, TeamRouting, Tag, Team):
        uid = f"automation_forget_{model.__name__}"
        post_save.connect(_forget, sender=model, dispatch_uid=uid)
        post_delete.connect(_forget, sender=model, dispatch_uid=f"{uid}_del")
    # The tags kept per process (tickets.rules.tag_cache): other processes see the version.
    post_save.connect(tag_cache_clear, sender=Tag, dispatch_uid="automation_tag_cache")
    post_delete.connect(tag_cache_clear, sender=Tag, dispatch_uid="automation_tag_cache_del")
