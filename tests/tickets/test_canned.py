"""Canned responses: plain placeholder substitution and usage counts."""

import pytest

from tests.factories.tickets import CustomerFactory, TicketFactory, UserFactory
from tickets.models import CannedResponse
from tickets.services import canned_render, canned_use


def test_render_substitutes_known_placeholders_only():
    out = canned_render(
        body="Hi {{customer_name}}, #{{ ticket_number }} {{unknown}} {% if x %}{{ x }}",
        variables={"customer_name": "Ирина", "ticket_number": "7"},
    )
    assert out == "Hi Ирина, #7 {{unknown}} {% if x %}{{ x }}"


def test_render_does_not_expand_placeholders_inside_values():
    out = canned_render(
        body="{{customer_name}} / {{agent_name}}",
        variables={"customer_name": "{{agent_name}}<script>", "agent_name": "Olga"},
    )
    assert out == "{{agent_name}}<script> / Olga"


@pytest.mark.django_db
def test_use_fills_variables_and_counts():
    agent = UserFactory(first_name="Olga", last_name="Petrova")
    ticket = TicketFactory(customer=CustomerFactory(name="{{ settings.SECRET_KEY }}"))
    canned = CannedResponse.objects.create(
        title="Hello",
        shortcut="hello",
        body="Hello {{customer_name}}, this is {{agent_name}} about #{{ticket_number}}.",
    )
    text = canned_use(canned=canned, ticket=ticket, agent=agent)
    assert text == f"Hello {{{{ settings.SECRET_KEY }}}}, this is Olga Petrova about #{ticket.pk}."
    canned_use(canned=canned, ticket=ticket, agent=agent)
    canned.refresh_from_db()
    assert canned.usage_count == 2
