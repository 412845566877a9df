"""Merging tickets, splitting a message off, and linking two customers as one person."""

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk.exceptions import ApplicationError
from tests.factories.tickets import (
    CustomerFactory,
    CustomerIdentityFactory,
    MessageFactory,
    TagFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Customer, Message, Status, Ticket, TicketEvent
from tickets.services import customer_merge, message_split, ticket_merge

pytestmark = pytest.mark.django_db


def test_merge_moves_messages_closes_and_links_source():
    agent = UserFactory(role="operator")
    now = timezone.now()
    target = TicketFactory(status="open")
    source = TicketFactory(customer=target.customer, channel=target.channel, status="new")
    source.tags.add(TagFactory(name="billing"))
    MessageFactory(ticket=target, text="first", sent_at=now - timedelta(hours=2))
    MessageFactory(ticket=source, text="second", sent_at=now - timedelta(hours=1))
    MessageFactory(ticket=source, text="third", sent_at=now)

    ticket_merge(source=source, target=target, actor=agent)

    source.refresh_from_db()
    target.refresh_from_db()
    assert list(target.messages.values_list("text", flat=True)) == ["first", "second", "third"]
    assert source.status == Status.CLOSED
    assert source.merged_into_id == target.pk
    assert source.messages.count() == 0
    assert target.last_customer_message_at == Message.objects.get(text="third").sent_at
    assert list(target.tags.values_list("name", flat=True)) == ["billing"]
    assert TicketEvent.objects.get(ticket=target, kind="merged_from").data == {
        "from": source.pk,
        "messages": 2,
    }
    assert TicketEvent.objects.filter(ticket=source, kind="merged_into").exists()


@pytest.mark.parametrize("case", ["self", "closed_source", "closed_target", "twice"])
def test_merge_refuses_impossible_merges(case):
    a = TicketFactory(status="open")
    b = TicketFactory(status="open")
    if case == "self":
        b = a
    elif case == "closed_source":
        Ticket.objects.filter(pk=a.pk).update(status=Status.CLOSED)
    elif case == "closed_target":
        Ticket.objects.filter(pk=b.pk).update(status=Status.CLOSED)
    elif case == "twice":
        ticket_merge(source=a, target=b)
    with pytest.raises(ApplicationError):
        ticket_merge(source=a, target=b)


def test_split_moves_one_message_into_a_new_ticket():
    agent = UserFactory(role="operator")
    source = TicketFactory(status="open", priority="high", priority_rank=1)
    MessageFactory(ticket=source, text="About my order")
    other = MessageFactory(ticket=source, text="And another thing: my invoice")

    new = message_split(message=other, actor=agent)

    other.refresh_from_db()
    assert other.ticket_id == new.pk
    assert new.customer_id == source.customer_id
    assert new.status == Status.NEW and new.priority == "high"
    assert new.subject.startswith("And another thing")
    assert source.messages.count() == 1
    assert TicketEvent.objects.get(ticket=new, kind="split_from").data["from"] == source.pk
    assert TicketEvent.objects.get(ticket=source, kind="split_to").data["to"] == new.pk


def test_split_refuses_the_only_message_and_notes():
    only = MessageFactory(text="alone")
    with pytest.raises(ApplicationError):
        message_split(message=only)
    note = MessageFactory(ticket=only.ticket, is_internal=True, direction="out")
    with pytest.raises(ApplicationError):
        message_split(message=note)


def test_customer_merge_moves_identities_and_tickets():
    agent = UserFactory(role="operator")
    target = CustomerFactory(name="Irina", email="", phone="")
    source = CustomerFactory(name="irina_tg", email="irina@example.org", notes="VIP since 2020")
    CustomerIdentityFactory(customer=source, external_id="tg-1")
    moved = TicketFactory(customer=source)
    TicketFactory(customer=target)

    customer_merge(source=source, target=target, actor=agent)

    source.refresh_from_db()
    target.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert target.identities.get().external_id == "tg-1"
    assert Ticket.objects.filter(customer=target).count() == 2
    assert target.email == "irina@example.org" and target.name == "Irina"
    assert "VIP since 2020" in target.notes
    event = TicketEvent.objects.get(ticket=moved, kind="customer_merged")
    assert event.data == {"from": source.pk, "into": target.pk}
    assert event.actor == agent
    with pytest.raises(ApplicationError):
        customer_merge(source=source, target=target)
    with pytest.raises(ApplicationError):
        customer_merge(source=target, target=target)
    assert Customer.objects.count() == 2


def test_customer_merge_tells_subscribers_each_moved_ticket_changed_customer():
    from tickets import dispatch

    heard = []

    def listener(*, ticket, fields, **_kw):
        heard.append((ticket.pk, ticket.customer_id, fields))

    target, source = CustomerFactory(), CustomerFactory()
    moved = [TicketFactory(customer=source), TicketFactory(customer=source)]
    dispatch.subscribe(dispatch.TICKET_UPDATED, listener)
    try:
        customer_merge(source=source, target=target)
    finally:
        dispatch.unsubscribe(dispatch.TICKET_UPDATED, listener)

    assert sorted(heard) == sorted((t.pk, target.pk, ["customer"]) for t in moved)
