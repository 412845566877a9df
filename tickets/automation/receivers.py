"""Subscribers to ticket events (tickets.dispatch): rules, bot, routing on intake.

They run inside the intake's transaction, after `sla`'s subscribers (this app is listed
after `sla`), so SLA clocks exist before rules change priority or team.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from tickets import dispatch
from tickets.automation.models import BotSession, Rule, Trigger
from tickets.models import AuthorKind, Ticket
from tickets.rules.apply import (
    automation_running,
    is_automation_running,
    rules_apply,
    rules_cache_clear,
)
from tickets.services.bot import after_hours_reply_maybe, bot_handle_inbound
from tickets.services.routing import ticket_route_if_unassigned, ticket_set_default_team


def _sync(target: Ticket, source: Ticket) -> None:
    """The intake keeps its ticket object and publishes it after the subscribers: bring it
    up to date with what automation changed."""
    if source is not target:
        target.refresh_from_db()


def on_ticket_created(*, ticket, message=None, **_kw) -> None:
    with automation_running():
        current = ticket_set_default_team(ticket=ticket)
        current = rules_apply(trigger=Trigger.TICKET_CREATED, ticket=current, message=message)
        _sync(ticket, current)


def on_message_received(*, ticket, message, **_kw) -> None:
    if message.author_kind != AuthorKind.CUSTOMER:
        return
    with automation_running():
        handled = bot_handle_inbound(ticket=ticket, message=message)
        current = Ticket.objects.select_related("channel", "customer").get(pk=ticket.pk)
        current = rules_apply(trigger=Trigger.MESSAGE_RECEIVED, ticket=current, message=message)
        # A rule may have sent the menu: then the bot is talking and nobody is assigned yet.
        if not handled and not BotSession.objects.filter(ticket_id=ticket.pk).exists():
            after_hours_reply_maybe(ticket=current, at=message.sent_at)
            ticket_route_if_unassigned(ticket=current)
        ticket.refresh_from_db()


def on_ticket_updated(*, ticket, **_kw) -> None:
    if is_automation_running():
        return
    with automation_running():
        rules_apply(trigger=Trigger.TICKET_UPDATED, ticket=ticket)


def _clear(**_kw) -> None:
    rules_cache_clear()


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
