"""Customers through the API: search, the card with identities and history, changes, linking
two customers as one person, identities."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.factories.tickets import ChannelFactory
from tickets.models import Customer, CustomerIdentity, TicketEvent

pytestmark = pytest.mark.django_db


def test_search_and_card(users, world):
    api = client_for(users["operator"])
    found = api.get("/api/customers/", {"q": "irina@"}).json()
    assert [c["id"] for c in found["results"]] == [world.customer.pk]
    assert found["count"] == 1
    by_phone = api.get("/api/customers/", {"phone": "+7900"}).json()["results"]
    assert [c["id"] for c in by_phone] == [world.customer.pk]

    card = api.get(f"/api/customers/{world.customer.pk}/").json()
    assert card["identities"][0]["external_id"] == "tg-1"
    assert card["identities"][0]["channel"]["kind"] == "generic"
    assert [t["id"] for t in card["tickets"]] == [world.ticket.pk]


def test_update_contact_details(users, world):
    api = client_for(users["operator"])
    response = api.patch(
        f"/api/customers/{world.customer.pk}/",
        {"phone": "+7 900 111", "notes": "Prefers email"},
        format="json",
    )
    assert response.status_code == 200, response.content
    world.customer.refresh_from_db()
    assert (world.customer.phone, world.customer.notes) == ("+7 900 111", "Prefers email")
    assert world.customer.name == "Irina Petrova"
    bad = api.patch(f"/api/customers/{world.customer.pk}/", {"email": "no"}, format="json")
    assert bad.status_code == 400 and "email" in bad.json()["error"]["detail"]


def test_link_two_customers_as_one_person(users, world):
    api = client_for(users["operator"])
    response = api.post(
        f"/api/customers/{world.other_customer.pk}/merge/",
        {"into": world.customer.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    card = response.json()
    assert card["id"] == world.customer.pk
    assert {t["id"] for t in card["tickets"]} == {world.ticket.pk, world.other_ticket.pk}
    world.other_customer.refresh_from_db()
    assert world.other_customer.merged_into_id == world.customer.pk
    assert TicketEvent.objects.filter(ticket=world.other_ticket, kind="customer_merged").exists()
    # Linked customers leave the default list; linking again is refused.
    listed = [c["id"] for c in api.get("/api/customers/").json()["results"]]
    assert world.other_customer.pk not in listed
    again = api.post(
        f"/api/customers/{world.other_customer.pk}/merge/",
        {"into": world.customer.pk},
        format="json",
    )
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "customer_merge_invalid"


def test_identities_add_list_remove(users, world):
    api = client_for(users["operator"])
    telegram = ChannelFactory(kind="telegram", name="Bot")
    url = f"/api/customers/{world.other_customer.pk}/identities/"
    added = api.post(url, {"channel": telegram.pk, "external_id": "555"}, format="json")
    assert added.status_code == 201, added.content
    assert [i["external_id"] for i in api.get(url).json()["results"]] == ["555"]
    taken = api.post(
        f"/api/customers/{world.customer.pk}/identities/",
        {"channel": telegram.pk, "external_id": "555"},
        format="json",
    )
    assert taken.status_code == 400
    assert taken.json()["error"]["detail"] == {"customer": world.other_customer.pk}

    removed = api.delete(f"{url}{added.json()['id']}/")
    assert removed.status_code == 204
    assert not CustomerIdentity.objects.filter(customer=world.other_customer).exists()
    # Another customer's identity id under this customer is not found.
    assert api.delete(f"{url}{world.identity.pk}/").status_code == 404
    assert Customer.objects.filter(pk=world.customer.pk, identities=world.identity).exists()
