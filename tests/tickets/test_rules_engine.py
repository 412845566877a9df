"""The pure rules engine: every condition, negation, any/all, order and stopping, validation."""

import pytest

from tickets.rules import text
from tickets.rules.engine import (
    Context,
    RuleInvalid,
    RuleSpec,
    rule_validate,
    rules_evaluate,
    rules_explain,
)


def ctx(**kw) -> Context:
    base = {
        "text": "Здравствуйте! Где моя доставка? Заказ 1042",
        "channel_id": 7,
        "channel_name": "Support bot",
        "channel_kind": "telegram",
        "channel_purpose": "support",
        "customer_is_repeat": True,
        "customer_tags": {"vip"},
        "customer_language": "ru-RU",
        "in_business_hours": False,
        "priority": "high",
        "status": "open",
        "team_id": 3,
        "team_name": "Logistics",
        "assignee_id": None,
        "tags": {"delivery", "vip"},
        "status_age_hours": 5.0,
    }
    base.update(kw)
    return Context(**base)


CASES = [
    ({"type": "channel", "channels": [7]}, True),
    ({"type": "channel", "channels": ["support bot"]}, True),
    ({"type": "channel", "channels": [8]}, False),
    ({"type": "channel_kind", "kinds": ["telegram", "whatsapp"]}, True),
    ({"type": "channel_kind", "kinds": ["email"]}, False),
    ({"type": "channel_purpose", "purposes": ["support"]}, True),
    ({"type": "channel_purpose", "purposes": ["sales"]}, False),
    ({"type": "text_contains", "words": ["достав"]}, True),
    ({"type": "text_contains", "words": ["доставка"]}, True),  # stemmed: доставк-
    ({"type": "text_contains", "words": ["где моя доставка"]}, True),  # a phrase
    ({"type": "text_contains", "words": ["оплат", "refund"]}, False),
    ({"type": "text_regex", "pattern": r"заказ\s*\d{4}"}, True),
    ({"type": "text_regex", "pattern": r"^refund"}, False),
    ({"type": "customer_repeat", "value": True}, True),
    ({"type": "customer_repeat", "value": False}, False),
    ({"type": "customer_tag", "tags": ["VIP"]}, True),
    ({"type": "customer_tag", "tags": ["wholesale"]}, False),
    ({"type": "customer_language", "languages": ["ru"]}, True),
    ({"type": "customer_language", "languages": ["en"]}, False),
    ({"type": "business_hours", "value": False}, True),
    ({"type": "business_hours", "value": True}, False),
    ({"type": "priority", "priorities": ["high", "urgent"]}, True),
    ({"type": "priority", "priorities": ["low"]}, False),
    ({"type": "status", "statuses": ["open"]}, True),
    ({"type": "status", "statuses": ["new"]}, False),
    ({"type": "team", "teams": ["logistics"]}, True),
    ({"type": "team", "teams": [3]}, True),
    ({"type": "team", "teams": [""]}, False),
    ({"type": "has_tag", "tags": ["delivery"]}, True),
    ({"type": "has_tag", "tags": ["delivery", "payment"], "mode": "all"}, False),
    ({"type": "has_tag", "tags": ["payment"], "mode": "none"}, True),
    ({"type": "status_unchanged_for", "hours": 4}, True),
    ({"type": "status_unchanged_for", "hours": 6}, False),
    ({"type": "assigned", "value": False}, True),
    ({"type": "text_contains", "words": ["достав"], "not": True}, False),
    ({"type": "unknown_from_the_future"}, False),
]


@pytest.mark.parametrize(("condition", "expected"), CASES)
def test_each_condition(condition, expected):
    rule = RuleSpec(
        id=1, name="r", conditions=(condition,), actions=({"type": "add_tag", "tag": "x"},)
    )
    assert bool(rules_evaluate([rule], ctx())) is expected


def test_team_condition_matches_no_team():
    rule = RuleSpec(1, "r", ({"type": "team", "teams": [""]},), ({"type": "send_menu"},))
    assert rules_evaluate([rule], ctx(team_id=None))


@pytest.mark.parametrize(("match", "expected"), [("all", False), ("any", True)])
def test_match_all_or_any(match, expected):
    rule = RuleSpec(
        1,
        "r",
        (
            {"type": "channel_kind", "kinds": ["telegram"]},
            {"type": "priority", "priorities": ["low"]},
        ),
        ({"type": "add_tag", "tag": "x"},),
        match=match,
    )
    assert bool(rules_evaluate([rule], ctx())) is expected


def test_rules_apply_in_order_and_stop_processing():
    tag = {"type": "add_tag", "tag": "t"}
    always = ()
    rules = [
        RuleSpec(1, "first", always, (tag, {"type": "set_priority", "priority": "low"})),
        RuleSpec(2, "no", ({"type": "status", "statuses": ["new"]},), (tag,)),
        RuleSpec(
            3,
            "stops",
            always,
            ({"type": "set_priority", "priority": "high"},),
            stop_processing=True,
        ),
        RuleSpec(4, "never reached", always, ({"type": "set_status", "status": "solved"},)),
    ]
    actions = rules_evaluate(rules, ctx())
    assert [(a.rule_id, a.type) for a in actions] == [
        (1, "add_tag"),
        (1, "set_priority"),
        (3, "set_priority"),
    ]
    explained = rules_explain(rules, ctx())
    assert [r.matched for r in explained] == [True, False, True, False]
    assert explained[1].conditions[0].matched is False


@pytest.mark.parametrize(
    ("keyword", "message", "expected"),
    [
        ("доставка", "Доставку перенесли уже дважды", True),
        ("оплата", "Я оплатил заказ, а статус не изменился", True),
        ("возврат", "Оформите возврат, пожалуйста", True),
        ("деньги", "Деньгами вернёте?", True),
        ("refund", "I was promised a refund last week", True),
        ("refund", "They refunded me twice", True),
        ("delivery", "The courier delivered the wrong box", True),
        ("не работает", "Приложение не работает с утра", True),
        ("pay", "I want to pay later", True),
        ("pay", "PayPal is fine", False),  # short stems match whole words only
        ("карт", "Картинка не грузится", True),
        ("ёлка", "Елка", True),
        ("return", "Returning customer here", True),
        ("достав", "Оставьте отзыв", False),
    ],
)
def test_stemmed_keywords(keyword, message, expected):
    assert text.contains_any(text.normalize(message), (keyword,)) is expected


@pytest.mark.parametrize(
    ("conditions", "actions", "field", "needle"),
    [
        ("x", [{"type": "add_tag", "tag": "a"}], "conditions", "JSON list"),
        ([{"type": "nope"}], [{"type": "add_tag", "tag": "a"}], "conditions", "unknown type"),
        (
            [{"type": "text_regex", "pattern": "("}],
            [{"type": "add_tag", "tag": "a"}],
            "conditions",
            "regular",
        ),
        (
            [{"type": "text_contains", "words": []}],
            [{"type": "add_tag", "tag": "a"}],
            "conditions",
            "words",
        ),
        (
            [{"type": "status_unchanged_for", "hours": -1}],
            [{"type": "add_tag", "tag": "a"}],
            "conditions",
            "hours",
        ),
        (
            [{"type": "channel", "channels": [1], "not": "yes"}],
            [{"type": "add_tag", "tag": "a"}],
            "conditions",
            "not",
        ),
        ([], [], "actions", "at least one"),
        ([], [{"type": "set_priority", "priority": "sky-high"}], "actions", "priority"),
        ([], [{"type": "set_status", "status": "gone"}], "actions", "status"),
        ([], [{"type": "assign", "strategy": "random"}], "actions", "strategy"),
        ([], [{"type": "launch_rockets"}], "actions", "unknown type"),
        ([], [{"type": "notify", "text": "x", "to": "everyone"}], "actions", "'to'"),
    ],
)
def test_validation_names_the_field_and_problem(conditions, actions, field, needle):
    with pytest.raises(RuleInvalid) as exc:
        rule_validate(conditions=conditions, actions=actions)
    assert exc.value.field == field
    assert needle in exc.value.message


def test_valid_rule_passes():
    rule_validate(
        conditions=[{"type": "text_contains", "words": ["достав"], "not": True}],
        actions=[
            {"type": "assign", "strategy": "auto"},
            {"type": "assign", "agent": "olga"},
            {"type": "auto_reply", "text": "Hi {customer_name}", "once": True},
            {"type": "send_menu"},
        ],
    )
