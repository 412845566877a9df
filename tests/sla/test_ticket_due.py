"""sla keeps Ticket.sla_due_at (the queue's sort key) in step with the clocks."""

import datetime as dt

import pytest
import time_machine

from sla.services import sla_sweep
from tests.sla.conftest import T0
from tickets.models import Status, Ticket
from tickets.services import ticket_reply, ticket_set_status

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def due(ticket):
    return Ticket.objects.values_list("sla_due_at", flat=True).get(pk=ticket.pk)


def test_due_follows_the_clocks_through_reply_breach_pause_and_solve(policy, customer_says, agent):
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    assert due(ticket) == T0 + 60 * MIN  # first response is the nearest

    with time_machine.travel(T0 + 10 * MIN, tick=False):
        ticket_reply(ticket=ticket, author=agent, text="Looking into it")
    assert due(ticket) == T0 + 480 * MIN  # now only resolution runs

    with time_machine.travel(T0 + 20 * MIN, tick=False):
        customer_says("Any news?")
    assert due(ticket) == T0 + 20 * MIN + 120 * MIN  # next response

    with time_machine.travel(T0 + 200 * MIN, tick=False):
        sla_sweep()  # next response breached: still owed, still the nearest (overdue)
    assert due(ticket) == T0 + 140 * MIN

    with time_machine.travel(T0 + 210 * MIN, tick=False):
        ticket_reply(ticket=ticket, author=agent, text="Sorry for the wait")
        ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=Status.PENDING)
    assert due(ticket) is None  # resolution paused while waiting on the customer

    with time_machine.travel(T0 + 230 * MIN, tick=False):
        customer_says("Thanks, it came")
        assert due(ticket) is not None
        ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=Status.SOLVED)
    assert due(ticket) is None


def test_queue_puts_the_nearest_due_first_within_a_priority(policy, customer_says, agent, client):
    with time_machine.travel(T0, tick=False):
        early = customer_says(user="a")
    with time_machine.travel(T0 + 5 * MIN, tick=False):
        late = customer_says(user="b")
        none = customer_says(user="c")
        ticket_reply(ticket=early, author=agent, text="On it")  # early: due in 480 min now
    Ticket.objects.filter(pk=none.pk).update(sla_due_at=None)

    client.force_login(agent)
    rows = [t.pk for t in client.get("/?view=open").context["tickets"]]
    assert rows == [late.pk, early.pk, none.pk]
