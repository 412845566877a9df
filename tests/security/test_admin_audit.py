"""Every configuration change made in the Django admin lands in the append-only audit log,
with the changed field names and never a secret value."""

from __future__ import annotations

import json

from helpdesk.audit.models import AuditEntry
from tests.factories.tickets import ChannelFactory, TeamFactory
from tests.security.conftest import client_for
from tickets.models import Ticket, WorkspaceSettings


def _channel_form(channel=None, **extra):
    data = {
        "kind": "generic",
        "name": "Bridge 2",
        "config": "{}",
        "is_active": "on",
        "created_at_0": "2026-01-01",
        "created_at_1": "10:00:00",
    }
    if channel is not None:
        data.update(kind=channel.kind, name=channel.name, config=json.dumps(channel.config))
    data.update(extra)
    return data


def test_adding_and_changing_a_channel_is_audited_without_secrets(world):
    admin = client_for(world.users["admin"])
    assert admin.post("/admin/tickets/channel/add/", _channel_form()).status_code == 302
    added = AuditEntry.objects.get(action="channel.added")
    assert added.actor == world.users["admin"]
    assert added.target_type == "tickets.channel" and added.data["via"] == "admin"

    channel = ChannelFactory(kind="generic", name="Old name", config={"api_token": "tok-1"})
    response = admin.post(
        f"/admin/tickets/channel/{channel.pk}/change/",
        _channel_form(
            channel,
            name="New name",
            config=json.dumps({"api_token": "tok-2-very-secret"}),
            new_secret="s3cr3t-new-value",
        ),
    )
    assert response.status_code == 302
    changed = AuditEntry.objects.get(action="channel.changed")
    assert changed.target_id == str(channel.pk)
    fields = changed.data["fields"]
    assert "Name" in fields and "New secret" in fields
    dumped = json.dumps(changed.data) + changed.target_repr
    assert "s3cr3t-new-value" not in dumped and "tok-2-very-secret" not in dumped


def test_deleting_a_team_is_audited(world):
    team = TeamFactory(name="Returns")
    admin = client_for(world.users["admin"])
    response = admin.post(f"/admin/tickets/team/{team.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="team.deleted")
    assert entry.target_id == str(team.pk) and entry.target_repr == "Returns"


def test_workspace_settings_change_is_audited(world):
    WorkspaceSettings.objects.get_or_create(pk=1)
    admin = client_for(world.users["admin"])
    response = admin.post(
        "/admin/tickets/workspacesettings/1/change/", {"restrict_operators_to_teams": "on"}
    )
    assert response.status_code == 302
    assert WorkspaceSettings.objects.get(pk=1).restrict_operators_to_teams
    entry = AuditEntry.objects.get(action="workspacesettings.changed")
    assert entry.data["fields"] == ["Operators see only their teams' tickets"]


def test_ticket_data_edits_are_not_configuration(world):
    admin = client_for(world.users["admin"])
    ticket = Ticket.objects.get(pk=world.ticket.pk)
    admin.post(
        f"/admin/tickets/ticket/{ticket.pk}/change/",
        {"subject": "Edited", "customer": ticket.customer_id, "channel": ticket.channel_id},
    )
    assert not AuditEntry.objects.filter(action__startswith="ticket.").exists()
