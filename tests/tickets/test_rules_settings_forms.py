"""The rule editor's rows: every condition and action the engine knows can be built without
JSON, stored rules come back as the same rows, and bad rows say what is wrong."""

import pytest
from django.http import QueryDict

from tickets.forms_rules import CONDITION_FIELDS, OPERATORS, Lookups, RuleEditor, rule_rows
from tickets.rules.actions import ACTIONS
from tickets.rules.conditions import CONDITIONS

LOOKUPS = Lookups(
    channels={"3": "Support bot (Telegram)", "4": "Mail (Email)"},
    teams={"7": "Billing", "8": "Logistics"},
    agents={"olga": "Olga Petrova"},
    tags=["vip"],
)

# One stored condition per type and operator, as the engine stores them.
CONDITIONS_STORED = [
    {"type": "text_contains", "words": ["refund", "возврат"]},
    {"type": "text_contains", "words": ["thanks"], "not": True},
    {"type": "text_regex", "pattern": r"order\s*#?\d+"},
    {"type": "text_regex", "pattern": "spam", "not": True},
    {"type": "channel", "channels": [3, 4]},
    {"type": "channel_kind", "kinds": ["telegram"], "not": True},
    {"type": "channel_purpose", "purposes": ["sales"]},
    {"type": "customer_repeat", "value": True},
    {"type": "customer_repeat", "value": False},
    {"type": "customer_tag", "tags": ["vip"]},
    {"type": "customer_language", "languages": ["ru", "en"], "not": True},
    {"type": "business_hours", "value": False},
    {"type": "priority", "priorities": ["urgent", "high"]},
    {"type": "status", "statuses": ["new"], "not": True},
    {"type": "team", "teams": ["", 7]},
    {"type": "has_tag", "tags": ["vip"]},
    {"type": "has_tag", "tags": ["a", "b"], "mode": "all"},
    {"type": "has_tag", "tags": ["spam"], "mode": "none"},
    {"type": "has_tag", "tags": ["a", "b"], "mode": "all", "not": True},
    {"type": "assigned", "value": True},
    {"type": "status_unchanged_for", "hours": 24},
    {"type": "status_unchanged_for", "hours": 1.5, "not": True},
]
ACTIONS_STORED = [
    {"type": "add_tag", "tag": "refund"},
    {"type": "remove_tag", "tag": "new"},
    {"type": "set_priority", "priority": "high", "only_raise": True},
    {"type": "set_priority", "priority": "low"},
    {"type": "set_team", "team": 7},
    {"type": "assign", "agent": "olga"},
    {"type": "assign", "strategy": "least_loaded"},
    {"type": "assign", "strategy": "auto"},
    {"type": "auto_reply", "text": "Hello {customer_name}, ticket {ticket_id}"},
    {"type": "auto_reply", "text": "Again", "once": False},
    {"type": "send_menu"},
    {"type": "set_status", "status": "pending"},
    {"type": "notify", "text": "VIP waiting", "to": "assignee"},
]


def _post(conditions, actions, **basics):
    """What the browser sends for these rows (the fields the templates render)."""
    q = QueryDict(mutable=True)
    q.update({"name": "A rule", "trigger": "message_received", "match": "all", **basics})
    c_rows, a_rows = rule_rows(conditions, actions, LOOKUPS)
    for row in c_rows:
        p = f"c-{row.index}-"
        q[p + "type"], q[p + "op"] = row.type, row.op
        kind = CONDITION_FIELDS[row.type].kind
        if kind == "choice":
            q.setlist(p + "value", row.values)
        elif kind != "bool":
            q[p + "value"] = row.text
    for row in a_rows:
        p = f"a-{row.index}-"
        q[p + "type"] = row.type
        for key, value in row.params.items():
            if isinstance(value, bool):
                if value:
                    q[p + key] = "1"
            else:
                q[p + key] = str(value)
    return q


def test_the_catalogue_covers_the_engine():
    assert set(CONDITION_FIELDS) == set(CONDITIONS)
    used_types = {c["type"] for c in CONDITIONS_STORED}
    assert used_types == set(CONDITIONS)
    assert {a["type"] for a in ACTIONS_STORED} == set(ACTIONS)
    for spec in CONDITION_FIELDS.values():
        assert all(op in OPERATORS for op in spec.ops)


def test_every_condition_and_action_survives_the_round_trip():
    editor = RuleEditor(_post(CONDITIONS_STORED, ACTIONS_STORED), lookups=LOOKUPS)
    assert editor.is_valid(), [r.errors for r in editor.condition_rows + editor.action_rows]
    expected_conditions = [
        # channel and team values come back as the ids the page offers
        {**c, "channels": [3, 4]} if c["type"] == "channel" else c
        for c in CONDITIONS_STORED
    ]
    assert editor.cleaned_data["conditions"] == expected_conditions
    assert editor.cleaned_data["actions"] == ACTIONS_STORED


def test_names_stored_by_hand_become_the_ids_the_page_offers():
    stored = [
        {"type": "channel", "channels": ["support bot"]},
        {"type": "team", "teams": ["billing"]},
    ]
    actions = [{"type": "set_team", "team": "Logistics"}]
    editor = RuleEditor(_post(stored, actions), lookups=LOOKUPS)
    assert editor.is_valid()
    assert editor.cleaned_data["conditions"] == [
        {"type": "channel", "channels": [3]},
        {"type": "team", "teams": [7]},
    ]
    assert editor.cleaned_data["actions"] == [{"type": "set_team", "team": 8}]


def test_negated_tag_modes_are_shown_as_their_plain_meaning():
    rows, _ = rule_rows(
        [
            {"type": "has_tag", "tags": ["a"], "mode": "any", "not": True},
            {"type": "has_tag", "tags": ["a"], "mode": "none", "not": True},
            {"type": "customer_repeat", "value": True, "not": True},
        ],
        [],
        LOOKUPS,
    )
    assert [r.op for r in rows] == ["none", "any", "no"]


def _errors(data):
    editor = RuleEditor(data, lookups=LOOKUPS)
    assert not editor.is_valid()
    return editor, {
        (kind, i): r.errors
        for kind, rows in (("c", editor.condition_rows), ("a", editor.action_rows))
        for i, r in enumerate(rows)
        if r.errors
    }


@pytest.mark.parametrize(
    ("kind", "op", "value", "message"),
    [
        ("text_contains", "contains", " , ", "at least one word"),
        ("text_regex", "matches", "(unclosed", "The pattern is not a valid regular expression"),
        ("channel_kind", "is", "pigeon", "Unknown value: pigeon"),
        ("priority", "is", None, "Choose at least one value"),
        ("status_unchanged_for", "at_least", "soon", "number of hours"),
        ("status_unchanged_for", "at_least", "0", "positive number"),
        ("weather", "is", None, "Choose what to check"),
    ],
)
def test_a_bad_condition_row_says_what_is_wrong(kind, op, value, message):
    data = _post([], [{"type": "add_tag", "tag": "x"}])
    data.update({"c-0-type": kind, "c-0-op": op})
    if value is not None:
        data["c-0-value"] = value
    _editor, errors = _errors(data)
    assert message in " ".join(errors[("c", 0)])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"a-5-type": "add_tag", "a-5-tag": "  "}, "tag's name"),
        ({"a-5-type": "set_priority", "a-5-priority": "sky"}, "The priority must be one of"),
        ({"a-5-type": "set_team", "a-5-team": "99"}, "Choose a team"),
        ({"a-5-type": "assign", "a-5-assign": "agent:nobody"}, "agent or a strategy"),
        ({"a-5-type": "auto_reply", "a-5-text": ""}, "Write the reply"),
        ({"a-5-type": "set_status", "a-5-status": "gone"}, "must be one of"),
        (
            {"a-5-type": "notify", "a-5-text": "hi", "a-5-to": "everyone"},
            "Who to notify must be team, assignee or queue",
        ),
    ],
)
def test_a_bad_action_row_says_what_is_wrong(fields, message):
    data = _post([], [])
    data.update(fields)
    _editor, errors = _errors(data)
    assert message in " ".join(errors[("a", 0)])


def test_a_rule_needs_an_action_and_a_name():
    editor, errors = _errors(_post([{"type": "assigned", "value": False}], [], name=""))
    assert not errors
    assert editor.errors["actions"] == ["Add at least one action."]
    assert editor.basics.errors["name"] == ["Give the rule a name."]


def test_a_dry_run_does_not_need_a_name():
    editor = RuleEditor(_post([], [{"type": "send_menu"}], name=""), lookups=LOOKUPS)
    assert editor.is_valid(dry_run=True)
    assert editor.cleaned_data["name"] == ""


def test_rows_left_empty_are_dropped_and_the_order_follows_the_row_numbers():
    data = _post([], [])
    data.update(
        {
            "a-10-type": "set_status", "a-10-status": "open",
            "a-2-type": "add_tag", "a-2-tag": "first",
            "a-3-type": "",  # the empty row a browser without JavaScript always gets
            "c-4-type": "",
        }
    )  # fmt: skip
    editor = RuleEditor(data, lookups=LOOKUPS)
    assert editor.is_valid()
    assert editor.cleaned_data["actions"] == [
        {"type": "add_tag", "tag": "first"},
        {"type": "set_status", "status": "open"},
    ]
    assert editor.cleaned_data["conditions"] == []


@pytest.mark.django_db
def test_the_default_rules_come_back_unchanged_from_the_editor():
    from tickets.automation.models import Rule
    from tickets.selectors_rules import rules_lookups

    rules = list(Rule.objects.all())
    assert len(rules) >= 9  # the default taxonomy
    lookups = rules_lookups()
    for rule in rules:
        editor = RuleEditor(
            _post(rule.conditions, rule.actions, name=rule.name, match=rule.match),
            lookups=lookups,
        )
        assert editor.is_valid(), rule.name
        assert editor.cleaned_data["conditions"] == rule.conditions, rule.name
        assert editor.cleaned_data["actions"] == rule.actions, rule.name
