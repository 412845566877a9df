"""Configuration through the API: teams, agents, tags, canned responses, rules, SLA policies,
surveys; each write validated and (for shared configuration) audited."""

from __future__ import annotations

import pytest

from helpdesk.audit.models import AuditEntry
from sla.models import SlaPolicy
from tests.api.conftest import client_for
from tickets.automation.models import Rule
from tickets.models import CannedResponse, Team

pytestmark = pytest.mark.django_db


def test_teams_tags_agents(users, world):
    admin = client_for(users["admin"])
    team = admin.post("/api/teams/", {"name": "VIP"}, format="json")
    assert team.status_code == 201
    duplicate = admin.post("/api/teams/", {"name": "VIP"}, format="json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()["error"]["detail"]
    assert AuditEntry.objects.filter(action="team.created", actor=users["admin"]).exists()

    agent = admin.patch(
        f"/api/agents/{world.agent.pk}/",
        {"teams": [team.json()["id"], world.team.pk], "capacity": 3, "online_state": "online"},
        format="json",
    )
    assert agent.status_code == 200, agent.content
    assert sorted(agent.json()["teams"]) == sorted([team.json()["id"], world.team.pk])
    assert agent.json()["capacity"] == 3 and agent.json()["online_state"] == "online"
    listed = client_for(users["operator"]).get("/api/agents/", {"team": world.team.pk}).json()
    assert [a["id"] for a in listed["results"]] == [world.agent.pk]
    assert listed["results"][0]["open_tickets"] == 0

    tag = admin.post("/api/tags/", {"name": "vip", "color": "#ff0000"}, format="json")
    assert tag.status_code == 201
    bad = admin.patch(f"/api/tags/{tag.json()['id']}/", {"color": "red"}, format="json")
    assert bad.status_code == 400
    assert admin.delete(f"/api/teams/{team.json()['id']}/").status_code == 204
    assert not Team.objects.filter(name="VIP").exists()


def test_canned_responses_personal_and_shared(users, world):
    operator = client_for(users["operator"])
    mine = operator.post(
        "/api/canned-responses/",
        {"title": "Thanks", "shortcut": "thx", "body": "Thank you, {{customer_first_name}}!"},
        format="json",
    )
    assert mine.status_code == 201, mine.content
    assert mine.json()["personal"] is True
    shared = operator.post(
        "/api/canned-responses/",
        {"title": "Hi", "shortcut": "hi", "body": "Hi", "personal": False},
        format="json",
    )
    assert shared.status_code == 403
    # Search by shortcut prefix or keyword.
    by_shortcut = operator.get("/api/canned-responses/", {"q": "/th"}).json()["results"]
    assert [c["shortcut"] for c in by_shortcut] == ["thx"]
    by_word = operator.get("/api/canned-responses/", {"q": "3 days"}).json()["results"]
    assert [c["shortcut"] for c in by_word] == ["refund"]
    # Use fills the placeholders for the ticket and counts.
    used = operator.post(
        f"/api/canned-responses/{mine.json()['id']}/use/",
        {"ticket": world.ticket.pk},
        format="json",
    )
    assert used.json() == {"text": "Thank you, Irina!"}
    assert CannedResponse.objects.get(pk=mine.json()["id"]).usage_count == 1
    # Operators change their own; the shared one is the admins'.
    assert (
        operator.patch(
            f"/api/canned-responses/{mine.json()['id']}/", {"body": "Thanks!"}, format="json"
        ).status_code
        == 200
    )
    assert (
        operator.patch(
            f"/api/canned-responses/{world.canned.pk}/", {"body": "x"}, format="json"
        ).status_code
        == 403
    )
    # Someone else's personal response does not exist for them.
    manager = client_for(users["manager"])
    assert manager.get(f"/api/canned-responses/{mine.json()['id']}/").status_code == 404


def test_rules_crud_and_dry_run(users, world):
    admin = client_for(users["admin"])
    created = admin.post(
        "/api/rules/",
        {
            "name": "Urgent words",
            "conditions": [{"type": "text_contains", "words": ["urgent"]}],
            "actions": [{"type": "set_priority", "priority": "urgent"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    broken = admin.post(
        "/api/rules/",
        {"name": "Broken", "actions": [{"type": "launch_rockets"}]},
        format="json",
    )
    assert broken.status_code == 400 and "actions" in broken.json()["error"]["detail"]
    assert not Rule.objects.filter(name="Broken").exists()

    run = admin.post(
        "/api/rules/dry-run/", {"text": "URGENT: refund please", "business_hours": True},
        format="json",
    )  # fmt: skip
    assert run.status_code == 200, run.content
    outcome = {r["name"]: r for r in run.json()}
    assert outcome["Refunds"]["matched"] and outcome["Urgent words"]["matched"]
    assert outcome["Urgent words"]["actions"] == [
        {"type": "set_priority", "params": {"priority": "urgent"}}
    ]
    off = admin.patch(f"/api/rules/{created.json()['id']}/", {"is_active": False}, format="json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert admin.delete(f"/api/rules/{world.rule.pk}/").status_code == 204
    assert AuditEntry.objects.filter(action="rule.deleted").exists()


def test_sla_policies(users, world):
    admin = client_for(users["admin"])
    created = admin.post(
        "/api/sla-policies/",
        {
            "name": "VIP",
            "priorities": ["urgent", "high"],
            "teams": [world.team.pk],
            "first_response_minutes": 15,
            "business_hours": False,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    policy = SlaPolicy.objects.get(pk=created.json()["id"])
    assert list(policy.teams.all()) == [world.team]
    needs_calendar = admin.patch(
        f"/api/sla-policies/{policy.pk}/", {"business_hours": True}, format="json"
    )
    assert needs_calendar.status_code == 400
    assert "calendar" in needs_calendar.json()["error"]["detail"]
    manager = client_for(users["manager"])
    listed = [p["id"] for p in manager.get("/api/sla-policies/").json()["results"]]
    assert policy.pk in listed and world.policy.pk in listed
    assert manager.patch(f"/api/sla-policies/{policy.pk}/", {"name": "x"}).status_code == 403


def test_surveys_and_their_filters(users, world):
    manager = client_for(users["manager"])
    answers = manager.get("/api/surveys/").json()["results"]
    assert [(a["kind"], a["score"], a["team"]) for a in answers] == [("csat", 5, world.team.pk)]
    assert manager.get("/api/surveys/", {"score_max": 3}).json()["results"] == []
    assert manager.get("/api/surveys/", {"kind": "nps"}).json()["results"] == []
    assert len(manager.get("/api/surveys/", {"team": world.team.pk}).json()["results"]) == 1
    assert manager.get("/api/surveys/", {"team": world.other_team.pk}).json()["results"] == []
