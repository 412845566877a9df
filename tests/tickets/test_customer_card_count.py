"""The customer card's ticket count stops at a limit: a customer with a huge history costs
the ticket page no more than one with the limit's number of tickets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories.tickets import CustomerFactory, TicketFactory
from tickets.selectors import customer_ticket_count

pytestmark = pytest.mark.django_db


def test_count_stops_at_the_limit():
    customer = CustomerFactory()
    TicketFactory.create_batch(7, customer=customer)
    TicketFactory()  # another customer's
    with CaptureQueriesContext(connection) as ctx:
        assert customer_ticket_count(customer_id=customer.pk, limit=5) == 5
    assert "LIMIT 5" in ctx.captured_queries[0]["sql"]
    assert customer_ticket_count(customer_id=customer.pk, limit=10) == 7
    assert customer_ticket_count(customer_id=customer.pk) == 7


def test_card_shows_the_limit_with_a_plus(operator_client, monkeypatch):
    monkeypatch.setattr("tickets.views.ticket.CUSTOMER_TICKET_COUNT_LIMIT", 5)
    customer = CustomerFactory()
    tickets = TicketFactory.create_batch(6, customer=customer)
    response = operator_client.get(f"/tickets/{tickets[0].pk}/")
    assert response.context["customer_ticket_count"] == 5
    assert "5+ tickets" in response.content.decode()


def test_card_below_the_limit_shows_the_exact_number(operator_client, monkeypatch):
    monkeypatch.setattr("tickets.views.ticket.CUSTOMER_TICKET_COUNT_LIMIT", 5)
    customer = CustomerFactory()
    tickets = TicketFactory.create_batch(4, customer=customer)
    html = operator_client.get(f"/tickets/{tickets[0].pk}/").content.decode()
    assert "4 tickets" in html
    assert "+ tickets" not in html
