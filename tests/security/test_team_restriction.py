"""Operators restricted to their teams: every page, action and live event keeps to the rule.

The operator `op` belongs to Billing (world.team_a). world.ticket is Billing's, world.ticket_b
Delivery's; both belong to the same customer.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from helpdesk.realtime import publish
from tests.factories.tickets import MessageFactory, TicketFactory, UserFactory
from tests.security.conftest import client_for
from tickets.consumers import AgentConsumer
from tickets.models import Message, Ticket, WorkspaceSettings
from tickets.visibility import tickets_visible_to, visible_ticket_ids


def restrict(on: bool = True) -> None:
    WorkspaceSettings.objects.update_or_create(pk=1, defaults={"restrict_operators_to_teams": on})


@pytest.fixture
def op(world):
    return client_for(world.users["operator"])


def test_unrestricted_operator_sees_every_team(world, op):
    response = op.get("/?view=all")
    shown = {t.pk for t in response.context["tickets"]}
    assert {world.ticket.pk, world.ticket_b.pk} <= shown
    assert op.get(f"/tickets/{world.ticket_b.pk}/").status_code == 200


def test_queue_and_counts_show_only_own_teams(world, op):
    restrict()
    unassigned_no_team = TicketFactory(customer=world.customer, channel=world.channel)
    mine_elsewhere = TicketFactory(
        channel=world.channel, team=world.team_b, assignee=world.users["operator"]
    )
    response = op.get("/?view=all")
    shown = {t.pk for t in response.context["tickets"]}
    assert shown == {world.ticket.pk, unassigned_no_team.pk, mine_elsewhere.pk}
    counts = {v["key"]: v["count"] for v in response.context["views_nav"]}
    assert counts["open"] == 3


def test_search_does_not_find_other_teams_tickets(world, op):
    restrict()
    Ticket.objects.filter(pk=world.ticket_b.pk).update(subject="Parcel lost zebra")
    response = op.get("/?view=all&q=zebra")
    assert list(response.context["tickets"]) == []
    # ...while a manager finds it
    manager = client_for(world.users["manager"])
    found = manager.get("/?view=all&q=zebra").context["tickets"]
    assert [t.pk for t in found] == [world.ticket_b.pk]


def test_other_teams_ticket_by_id_is_404(world, op):
    restrict()
    assert op.get(f"/tickets/{world.ticket.pk}/").status_code == 200
    response = op.get(f"/tickets/{world.ticket_b.pk}/")
    assert response.status_code == 404
    assert world.ticket_b.subject not in response.content.decode()


def test_managers_and_admins_are_never_restricted(world):
    restrict()
    for role in ("manager", "admin"):
        client = client_for(world.users[role])
        assert client.get(f"/tickets/{world.ticket_b.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("reply/", {"text": "hello", "mode": "reply"}),
        ("status/", {"status": "solved"}),
        ("priority/", {"priority": "urgent"}),
        ("assign/", {"assignee": "me"}),
        ("tags/", {"tags": "refund"}),
        ("team/", {"team": ""}),
        ("merge/", {"target": "1"}),
        ("customer/notes/", {"notes": "VIP"}),
        ("customer/link/", {"other": "1", "by": "customer"}),
        ("canned/{canned}/use/", {}),
    ],
)
def test_actions_on_other_teams_ticket_are_404_and_change_nothing(world, op, path, data):
    restrict()
    before = Ticket.objects.get(pk=world.ticket_b.pk)
    notes_before = world.customer.notes
    url = f"/tickets/{world.ticket_b.pk}/" + path.format(canned=world.canned.pk)
    response = op.post(url, data)
    assert response.status_code == 404
    after = Ticket.objects.get(pk=world.ticket_b.pk)
    for field in ("status", "priority", "assignee_id", "team_id", "merged_into_id"):
        assert getattr(after, field) == getattr(before, field)
    assert not Message.objects.filter(ticket=after, direction="out").exists()
    world.customer.refresh_from_db()
    assert world.customer.notes == notes_before


def test_message_actions_on_other_teams_ticket_are_404(world, op):
    restrict()
    message = MessageFactory(ticket=world.ticket_b)
    for action in ("retry", "split"):
        url = f"/tickets/{world.ticket_b.pk}/messages/{message.pk}/{action}/"
        assert op.post(url).status_code == 404
    message.refresh_from_db()
    assert message.ticket_id == world.ticket_b.pk


def test_merge_into_other_teams_ticket_is_refused(world, op):
    restrict()
    response = op.post(f"/tickets/{world.ticket.pk}/merge/", {"target": world.ticket_b.pk})
    assert response.status_code == 302
    world.ticket.refresh_from_db()
    assert world.ticket.merged_into_id is None


def test_link_customer_through_other_teams_ticket_is_refused(world, op):
    restrict()
    stranger = TicketFactory(channel=world.channel, team=world.team_b)
    op.post(f"/tickets/{world.ticket.pk}/customer/link/", {"other": stranger.pk, "by": "ticket"})
    stranger.refresh_from_db()
    assert stranger.customer_id != world.ticket.customer_id


def test_bulk_actions_skip_other_teams_tickets(world, op):
    restrict()
    op.post(
        "/queue/bulk/",
        {"tickets": [world.ticket.pk, world.ticket_b.pk], "action": "status", "value": "solved"},
    )
    assert Ticket.objects.get(pk=world.ticket.pk).status == "solved"
    assert Ticket.objects.get(pk=world.ticket_b.pk).status != "solved"


def test_work_session_beacon_for_other_teams_ticket_is_404(world, op):
    restrict()
    data = {"ticket": world.ticket_b.pk, "sid": "s1", "start": 1, "end": 2, "reason": "leave"}
    assert op.post("/work-sessions/", data).status_code == 404


def test_webchat_typing_signal_on_other_teams_ticket_is_404(world, op):
    restrict()
    assert op.post(f"/webchat/typing/{world.ticket_b.pk}/").status_code == 404
    assert op.post(f"/webchat/typing/{world.ticket.pk}/").status_code == 200


def test_customer_card_hides_other_teams_tickets(world, op):
    restrict()
    response = op.get(f"/tickets/{world.ticket.pk}/")
    previous = [t.pk for t in response.context["previous_tickets"]]
    assert world.ticket_b.pk not in previous
    assert response.context["customer_ticket_count"] == 1
    assert f"/tickets/{world.ticket_b.pk}/" not in response.content.decode()
    # A manager sees both on the same card.
    manager = client_for(world.users["manager"])
    response = manager.get(f"/tickets/{world.ticket.pk}/")
    assert [t.pk for t in response.context["previous_tickets"]] == [world.ticket_b.pk]


def test_visibility_helpers(world):
    restrict()
    operator = world.users["operator"]
    ids = {world.ticket.pk, world.ticket_b.pk}
    assert visible_ticket_ids(operator, ids) == {world.ticket.pk}
    assert visible_ticket_ids(world.users["manager"], ids) == ids
    assert set(tickets_visible_to(operator).values_list("pk", flat=True)) == {world.ticket.pk}


# --- live events ---------------------------------------------------------------------------


def _publish(event, groups):
    return sync_to_async(publish, thread_sensitive=False)(event=event, groups=groups)


def _event(ticket):
    return {"type": "ticket.updated", "ticket_id": ticket.pk, "status": "open",
            "priority": "normal", "assignee_id": None, "team_id": ticket.team_id}  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_restricted_operator_gets_only_own_teams_live_events():
    from tests.factories.tickets import AgentProfileFactory, TeamFactory

    billing, delivery = TeamFactory(name="Billing"), TeamFactory(name="Delivery")
    operator = UserFactory(username="op", role="operator")
    AgentProfileFactory(user=operator).teams.add(billing)
    mine = TicketFactory(team=billing)
    other = TicketFactory(team=delivery)
    restrict()

    async def run():
        communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
        communicator.scope["user"] = operator
        connected, _ = await communicator.connect()
        assert connected
        await _publish(_event(other), ["queue"])
        await _publish(_event(mine), ["queue"])
        first = await communicator.receive_json_from(timeout=2)
        sla = {"type": "sla.breached", "items": [
            {"ticket_id": other.pk, "metric": "first_response", "level": 1},
            {"ticket_id": mine.pk, "metric": "resolution", "level": 1},
        ]}  # fmt: skip
        await _publish(sla, [f"agent.{operator.pk}"])
        second = await communicator.receive_json_from(timeout=2)
        await _publish({"type": "notification", "ticket_id": other.pk, "text": "x"}, ["queue"])
        # Watching another team's ticket is ignored: its presence never arrives.
        await communicator.send_json_to({"action": "watch", "ticket_id": other.pk})
        await communicator.send_json_to({"action": "watch", "ticket_id": mine.pk})
        nothing = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return first, second, nothing

    first, second, nothing = async_to_sync(run)()
    assert first["ticket_id"] == mine.pk
    assert [i["ticket_id"] for i in second["items"]] == [mine.pk]
    assert nothing


@pytest.mark.django_db(transaction=True)
def test_watching_other_teams_ticket_gives_no_presence():
    from tests.factories.tickets import AgentProfileFactory, TeamFactory

    billing, delivery = TeamFactory(name="Billing"), TeamFactory(name="Delivery")
    restricted = UserFactory(username="op", role="operator")
    AgentProfileFactory(user=restricted).teams.add(billing)
    colleague = UserFactory(username="dora", role="operator")
    AgentProfileFactory(user=colleague).teams.add(delivery)
    other = TicketFactory(team=delivery)
    restrict()

    async def run():
        watcher = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
        watcher.scope["user"] = colleague
        spy = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
        spy.scope["user"] = restricted
        await watcher.connect()
        await spy.connect()
        await watcher.send_json_to({"action": "watch", "ticket_id": other.pk})
        await spy.send_json_to({"action": "watch", "ticket_id": other.pk})
        spy_hears = await spy.receive_nothing(timeout=0.5)
        watcher_hears = await watcher.receive_nothing(timeout=0.3)
        await watcher.disconnect()
        await spy.disconnect()
        return spy_hears, watcher_hears

    spy_hears_nothing, watcher_hears_nothing = async_to_sync(run)()
    assert spy_hears_nothing
    assert watcher_hears_nothing  # the restricted operator never announced themselves


def test_anonymous_socket_still_refused(db):
    async def run():
        communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
        communicator.scope["user"] = AnonymousUser()
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert async_to_sync(run)() is False
