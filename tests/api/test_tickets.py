"""Tickets through the API: create, change through the services, reply, note, merge, split,
visibility of other teams' tickets, keyset pages."""

from __future__ import annotations

import json

import pytest

from sla.models import SlaClock
from tests.api.conftest import client_for
from tests.factories.tickets import TicketFactory, UserFactory
from tests.http_sink import Sink
from tickets.models import Message, Ticket, TicketEvent, WorkspaceSettings
from tickets.rules.apply import rules_cache_clear

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules_cache():
    rules_cache_clear()
    yield
    rules_cache_clear()


def test_an_operator_opens_a_ticket_for_a_customer(users, world):
    api = client_for(users["operator"])
    response = api.post(
        "/api/tickets/",
        {
            "customer": world.customer.pk,
            "channel": world.channel.pk,
            "text": "Called by phone: the refund has not arrived",
            "priority": "high",
            "team": world.team.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.customer == world.customer
    assert (ticket.priority, ticket.team_id, ticket.status) == ("high", world.team.pk, "new")
    assert body["messages"][0]["direction"] == "in"
    assert body["messages"][0]["text"] == "Called by phone: the refund has not arrived"
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds[0] == "created" and "priority_changed" in kinds and "team_changed" in kinds
    created = TicketEvent.objects.get(ticket=ticket, kind="created")
    assert created.actor == users["operator"]
    # Handled like any customer message: the rule tagged it, the SLA clock runs.
    assert "refund" in body["tags"]
    assert SlaClock.objects.filter(ticket=ticket, metric="first_response").exists()


def test_writing_first_needs_the_customer_on_that_channel(users, world):
    api = client_for(users["operator"])
    response = api.post(
        "/api/tickets/",
        {
            "customer": world.other_customer.pk,
            "channel": world.channel.pk,
            "text": "Hello",
            "direction": "out",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ticket_open_invalid"
    assert not Ticket.objects.filter(customer=world.other_customer).exclude(
        pk=world.other_ticket.pk
    )


def test_writing_first_delivers_through_the_channel(
    users, world, django_capture_on_commit_callbacks
):
    api = client_for(users["operator"])
    with Sink() as sink:
        world.channel.config = {"callback_url": sink.url}
        world.channel.save()
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                "/api/tickets/",
                {
                    "customer": world.customer.pk,
                    "channel": world.channel.pk,
                    "text": "Your new card is ready",
                    "direction": "out",
                },
                format="json",
            )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.status == "open" and ticket.assignee == users["operator"]
    sent = json.loads(sink.requests[0]["body"])
    assert sent["text"] == "Your new card is ready"
    assert sent["external_user_id"] == "tg-1"
    assert Message.objects.get(ticket=ticket).delivery_status == "sent"


def test_patch_changes_go_through_the_services_and_are_logged(users, world):
    api = client_for(users["operator"])
    ticket = world.ticket
    response = api.patch(
        f"/api/tickets/{ticket.pk}/",
        {
            "subject": "Refund for order 42",
            "priority": "urgent",
            "team": world.other_team.pk,
            "assignee": users["operator"].pk,
            "tags": ["refund"],
            "status": "pending",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"] == "Refund for order 42"
    assert (body["priority"], body["status"], body["team"]) == (
        "urgent",
        "pending",
        world.other_team.pk,
    )
    assert body["assignee"] == users["operator"].pk and body["tags"] == ["refund"]
    events = {e.kind: e for e in TicketEvent.objects.filter(ticket=ticket, actor=users["operator"])}
    assert set(events) >= {
        "subject_changed",
        "priority_changed",
        "team_changed",
        "assigned",
        "tags_changed",
        "status_changed",
    }
    assert events["status_changed"].data == {"from": "new", "to": "pending"}

    # Removing every tag is a change too; unknown tags are a field error.
    assert api.patch(f"/api/tickets/{ticket.pk}/", {"tags": []}, format="json").json()["tags"] == []
    bad = api.patch(f"/api/tickets/{ticket.pk}/", {"tags": ["nope"]}, format="json")
    assert bad.status_code == 400 and "tags" in bad.json()["error"]["detail"]


def test_patch_refuses_what_the_services_refuse(users, world):
    api = client_for(users["operator"])
    closed = api.patch(f"/api/tickets/{world.ticket.pk}/", {"status": "closed"}, format="json")
    assert closed.status_code == 200
    response = api.patch(f"/api/tickets/{world.ticket.pk}/", {"status": "open"}, format="json")
    assert response.status_code == 400
    assert "closed" in response.json()["error"]["message"]
    nobody = UserFactory(username="visitor")
    response = api.patch(f"/api/tickets/{world.ticket.pk}/", {"assignee": nobody.pk}, format="json")
    assert response.status_code == 400 and "assignee" in response.json()["error"]["detail"]


def test_reply_is_delivered_and_a_note_stays_internal(
    users, world, django_capture_on_commit_callbacks
):
    api = client_for(users["operator"])
    with Sink() as sink:
        world.channel.config = {"callback_url": sink.url}
        world.channel.save()
        with django_capture_on_commit_callbacks(execute=True):
            reply = api.post(
                f"/api/tickets/{world.ticket.pk}/reply/", {"text": "Refund sent"}, format="json"
            )
            note = api.post(
                f"/api/tickets/{world.ticket.pk}/notes/",
                {"text": "Customer is upset, be kind"},
                format="json",
            )
    assert reply.status_code == 201 and note.status_code == 201
    assert [json.loads(r["body"])["text"] for r in sink.requests] == ["Refund sent"]
    assert Message.objects.get(pk=reply.json()["id"]).delivery_status == "sent"
    assert note.json()["is_internal"] is True and note.json()["delivery_status"] == "not_sent"
    world.ticket.refresh_from_db()
    assert world.ticket.agent_reply_count == 1
    listed = api.get(f"/api/tickets/{world.ticket.pk}/messages/").json()
    assert [m["text"] for m in listed["results"]][-2:] == [
        "Refund sent",
        "Customer is upset, be kind",
    ]
    assert listed["count"] == 4


def test_merge_and_split(users, world):
    api = client_for(users["operator"])
    target = TicketFactory(customer=world.customer, channel=world.channel)
    response = api.post(
        f"/api/tickets/{world.ticket.pk}/merge/", {"into": target.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == target.pk
    assert len(response.json()["messages"]) == 2
    world.ticket.refresh_from_db()
    assert world.ticket.status == "closed" and world.ticket.merged_into_id == target.pk
    again = api.post(f"/api/tickets/{world.ticket.pk}/merge/", {"into": target.pk}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "merge_invalid"
    missing = api.post(f"/api/tickets/{target.pk}/merge/", {"into": 999999}, format="json")
    assert missing.status_code == 400 and "into" in missing.json()["error"]["detail"]

    split = api.post(
        f"/api/tickets/{target.pk}/messages/{world.second_message.pk}/split/", format="json"
    )
    assert split.status_code == 201, split.content
    new = split.json()
    assert new["id"] != target.pk
    assert [m["id"] for m in new["messages"]] == [world.second_message.pk]
    elsewhere = api.post(
        f"/api/tickets/{world.other_ticket.pk}/messages/{world.message.pk}/split/", format="json"
    )
    assert elsewhere.status_code == 404


def test_a_restricted_operator_never_sees_other_teams_tickets(users, world):
    WorkspaceSettings.objects.update_or_create(pk=1, defaults={"restrict_operators_to_teams": True})
    api = client_for(users["operator"])  # member of Billing (world.team) only
    listed = [t["id"] for t in api.get("/api/tickets/").json()["results"]]
    assert listed == [world.ticket.pk]
    hidden = world.other_ticket.pk
    for method, url, body in [
        ("get", f"/api/tickets/{hidden}/", None),
        ("patch", f"/api/tickets/{hidden}/", {"priority": "low"}),
        ("get", f"/api/tickets/{hidden}/messages/", None),
        ("post", f"/api/tickets/{hidden}/reply/", {"text": "hi"}),
        ("post", f"/api/tickets/{hidden}/notes/", {"text": "hi"}),
        ("post", f"/api/tickets/{hidden}/merge/", {"into": world.ticket.pk}),
        ("post", f"/api/canned-responses/{world.canned.pk}/use/", {"ticket": hidden}),
    ]:
        response = getattr(api, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    into_hidden = api.post(
        f"/api/tickets/{world.ticket.pk}/merge/", {"into": hidden}, format="json"
    )
    assert into_hidden.status_code == 400
    # The customer card's history hides them too; a manager sees everything.
    card = api.get(f"/api/customers/{world.other_customer.pk}/").json()
    assert card["tickets"] == []
    manager = client_for(users["manager"])
    assert len(manager.get("/api/tickets/").json()["results"]) == 2
    assert manager.get(f"/api/tickets/{hidden}/").status_code == 200


def test_keyset_pages_walk_every_ticket_once_in_order(users, world):
    for rank, priority in enumerate(["urgent", "high", "normal", "low", "normal"]):
        TicketFactory(priority=priority, priority_rank=[0, 1, 2, 3, 2][rank])
    api = client_for(users["manager"])
    expected = list(
        Ticket.objects.order_by("priority_rank", "created_at", "pk").values_list("pk", flat=True)
    )
    seen, url, pages = [], "/api/tickets/?page_size=2&ordering=priority", 0
    while url:
        body = api.get(url).json()
        assert set(body) == {"next", "results"}  # no count over the whole table
        seen += [t["id"] for t in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == expected and pages == 4

    newest = api.get("/api/tickets/", {"ordering": "-created", "page_size": 4}).json()
    rest = api.get(newest["next"]).json()
    walked = [t["id"] for t in newest["results"] + rest["results"]]
    assert walked == sorted(expected, reverse=True)


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "garbage"},
        {"cursor": "eyJvIjoieCJ9"},
        {"ordering": "sideways"},
        {"page_size": "0"},
    ],
)
def test_bad_page_parameters_are_400(users, world, params):
    response = client_for(users["operator"]).get("/api/tickets/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_a_cursor_from_another_ordering_is_refused(users, world):
    TicketFactory()
    TicketFactory()
    api = client_for(users["operator"])
    cursor = api.get("/api/tickets/", {"page_size": 1}).json()["next"].split("cursor=")[1]
    response = api.get("/api/tickets/", {"cursor": cursor.split("&")[0], "ordering": "created"})
    assert response.status_code == 400
