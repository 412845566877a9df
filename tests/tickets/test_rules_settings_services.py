"""Services behind the rules settings page: create, update, switch, reorder, delete, audited."""

import pytest
import time_machine
from django.utils import timezone

from helpdesk.audit.models import AuditEntry
from helpdesk.exceptions import ApplicationError
from tickets.automation.models import Rule
from tickets.rules.apply import rules_load
from tickets.services.rules_admin import (
    RuleOrderInvalid,
    rule_create,
    rule_delete,
    rule_move,
    rule_set_active,
    rule_update,
    rules_reorder,
)

pytestmark = pytest.mark.django_db

TAG = [{"type": "add_tag", "tag": "refund"}]
WORDS = [{"type": "text_contains", "words": ["refund"]}]


def _fields(name="Refunds", **extra):
    return {
        "name": name,
        "trigger": "message_received",
        "match": "all",
        "conditions": WORDS,
        "actions": TAG,
        "is_active": True,
        "stop_processing": False,
        **extra,
    }


def _entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


@pytest.fixture
def ada(admin_user):
    return admin_user


def test_create_places_the_rule_last_and_audits_it(ada):
    Rule.objects.all().delete()
    Rule.objects.create(name="old", position=70, actions=TAG)
    rule = rule_create(actor=ada, fields=_fields())
    assert rule.position == 80
    (entry,) = _entries("rule.created")
    assert entry.actor == ada and entry.target_id == str(rule.pk)
    assert entry.data["conditions"] == WORDS and entry.data["actions"] == TAG
    assert entry.data["position"] == 80


def test_create_refuses_what_the_engine_refuses(ada):
    before = Rule.objects.count()
    with pytest.raises(ApplicationError, match="must be one of"):
        rule_create(
            actor=ada, fields=_fields(actions=[{"type": "set_priority", "priority": "sky"}])
        )
    with pytest.raises(ApplicationError, match="at least one action"):
        rule_create(actor=ada, fields=_fields(actions=[]))
    assert Rule.objects.count() == before and not _entries("rule.created")


def test_update_audits_only_what_changed(ada):
    rule = rule_create(actor=ada, fields=_fields())
    rule_update(rule=rule, actor=ada, fields=_fields())  # nothing changed: no entry
    assert not _entries("rule.changed")
    new_actions = [*TAG, {"type": "set_priority", "priority": "high"}]
    rule = rule_update(rule=rule, actor=ada, fields=_fields(name="Money back", actions=new_actions))
    (entry,) = _entries("rule.changed")
    assert entry.data == {
        "name": {"from": "Refunds", "to": "Money back"},
        "actions": {"from": TAG, "to": new_actions},
    }
    assert Rule.objects.get(pk=rule.pk).actions == new_actions


def test_switching_off_reaches_the_engine_cache(ada):
    rule = rule_create(actor=ada, fields=_fields())
    assert rule.pk in [s.id for s in rules_load(trigger="message_received")[0]]
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=5), tick=False):
        rule_set_active(rule=rule, actor=ada, active=False)
    assert rule.pk not in [s.id for s in rules_load(trigger="message_received")[0]]
    (entry,) = _entries("rule.changed")
    assert entry.data == {"is_active": {"from": True, "to": False}}


def test_delete_audits_what_was_deleted(ada):
    rule = rule_create(actor=ada, fields=_fields())
    pk = rule.pk
    rule_delete(rule=rule, actor=ada)
    assert not Rule.objects.filter(pk=pk).exists()
    (entry,) = _entries("rule.deleted")
    assert entry.target_id == str(pk) and entry.data["name"] == "Refunds"


def _group(trigger="message_received"):
    return list(
        Rule.objects.filter(trigger=trigger).order_by("position", "id").values_list("pk", flat=True)
    )


def test_reorder_renumbers_one_trigger_and_audits_moved_rules(ada):
    Rule.objects.all().delete()
    a, b, c = (Rule.objects.create(name=n, position=100, actions=TAG) for n in "abc")
    other = Rule.objects.create(name="t", position=5, trigger="ticket_created", actions=TAG)
    assert [s.id for s in rules_load(trigger="message_received")[0]] == [a.pk, b.pk, c.pk]
    rules_reorder(trigger="message_received", ordered_ids=[c.pk, a.pk, b.pk], actor=ada)
    assert _group() == [c.pk, a.pk, b.pk]
    assert Rule.objects.get(pk=other.pk).position == 5
    moved = {e.target_id: e.data["position"] for e in _entries("rule.changed")}
    assert moved == {
        str(a.pk): {"from": 100, "to": 110},
        str(b.pk): {"from": 100, "to": 120},
    }  # c keeps 100
    assert [s.id for s in rules_load(trigger="message_received")[0]] == [c.pk, a.pk, b.pk]


@pytest.mark.parametrize("order", ["one", "none", "dup", "foreign"])
def test_reorder_refuses_a_list_that_is_not_the_group(ada, order):
    Rule.objects.all().delete()
    a, b = (Rule.objects.create(name=n, position=10, actions=TAG) for n in "ab")
    other = Rule.objects.create(name="t", trigger="time", actions=TAG)
    ids = {"one": [a.pk], "none": [], "dup": [a.pk, a.pk, b.pk], "foreign": [a.pk, other.pk]}[order]
    with pytest.raises(RuleOrderInvalid):
        rules_reorder(trigger="message_received", ordered_ids=ids, actor=ada)
    assert not _entries("rule.changed")


def test_move_up_and_down_swaps_neighbours_and_stops_at_the_edges(ada):
    Rule.objects.all().delete()
    a, b, c = (Rule.objects.create(name=n, position=100, actions=TAG) for n in "abc")
    rule_move(rule=c, direction="up", actor=ada)
    assert _group() == [a.pk, c.pk, b.pk]
    rule_move(rule=Rule.objects.get(pk=a.pk), direction="down", actor=ada)
    assert _group() == [c.pk, a.pk, b.pk]
    n = len(_entries("rule.changed"))
    rule_move(rule=Rule.objects.get(pk=c.pk), direction="up", actor=ada)  # already first
    rule_move(rule=Rule.objects.get(pk=b.pk), direction="down", actor=ada)  # already last
    assert _group() == [c.pk, a.pk, b.pk] and len(_entries("rule.changed")) == n
    with pytest.raises(RuleOrderInvalid):
        rule_move(rule=a, direction="sideways", actor=ada)
