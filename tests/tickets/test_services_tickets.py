from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from helpdesk.exceptions import ApplicationError
from tests.factories.tickets import TagFactory, TeamFactory, TicketFactory
from tickets.models import Status
from tickets.services import (
    ticket_assign,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_tags,
    ticket_set_team,
)

pytestmark = pytest.mark.django_db


def test_solve_then_close_keeps_the_solve_time_and_is_no_reopen(operator):
    ticket = TicketFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = ticket_set_status(ticket=ticket, status=Status.SOLVED, actor=operator)
    with time_machine.travel(start + timedelta(days=3), tick=False):
        ticket = ticket_set_status(ticket=ticket, status=Status.CLOSED, actor=operator)

    assert ticket.solved_at == start
    assert ticket.closed_at == start + timedelta(days=3)
    assert ticket.reopen_count == 0


def test_closing_an_open_ticket_solves_it_too(operator):
    ticket = ticket_set_status(ticket=TicketFactory(), status=Status.CLOSED, actor=operator)
    assert ticket.solved_at == ticket.closed_at


def test_setting_a_solved_ticket_back_to_open_is_a_reopen(operator):
    ticket = ticket_set_status(ticket=TicketFactory(), status=Status.SOLVED, actor=operator)
    ticket = ticket_set_status(ticket=ticket, status=Status.OPEN, actor=operator)
    assert ticket.reopen_count == 1
    assert ticket.solved_at is None


def test_closed_is_final(operator):
    ticket = ticket_set_status(ticket=TicketFactory(), status=Status.CLOSED, actor=operator)
    with pytest.raises(ApplicationError):
        ticket_set_status(ticket=ticket, status=Status.OPEN, actor=operator)


def test_unknown_status_and_priority_are_refused(operator):
    ticket = TicketFactory()
    with pytest.raises(ApplicationError):
        ticket_set_status(ticket=ticket, status="lost", actor=operator)
    with pytest.raises(ApplicationError):
        ticket_set_priority(ticket=ticket, priority="meh", actor=operator)


def test_every_change_is_logged_once(operator):
    ticket = TicketFactory()
    team = TeamFactory(name="Billing")
    vip, late = TagFactory(name="vip"), TagFactory(name="late")

    ticket_set_priority(ticket=ticket, priority="urgent", actor=operator)
    ticket_set_priority(ticket=ticket, priority="urgent", actor=operator)  # no change, no event
    ticket_assign(ticket=ticket, assignee=operator, actor=operator)
    ticket_set_team(ticket=ticket, team=team, actor=operator)
    ticket_set_tags(ticket=ticket, add=[vip, late], actor=operator)
    ticket_set_tags(ticket=ticket, remove=[late], actor=operator)

    ticket.refresh_from_db()
    assert ticket.priority == "urgent" and ticket.priority_rank == 0
    assert ticket.assignee == operator
    assert ticket.team == team
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]
    assert list(ticket.events.values_list("kind", flat=True)) == [
        "priority_changed",
        "assigned",
        "team_changed",
        "tags_changed",
        "tags_changed",
    ]
    assert ticket.events.first().data == {"from": "normal", "to": "urgent"}
