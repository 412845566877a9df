"""An admin builds a rule in the Django admin and dry-runs it on a message."""

import json

import pytest

from tests.factories.tickets import ChannelFactory, UserFactory
from tickets.automation.models import Rule

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret-pass-word"


def test_admin_builds_and_dry_runs_a_rule(live_server, page, screenshot):
    UserFactory(username="ada", role="admin", is_superuser=True)
    ChannelFactory(kind="telegram", name="Support bot")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/automation/rule/add/")
    page.fill("#id_name", "Refunds are urgent")
    page.fill("#id_position", "1")
    page.fill("#id_conditions", json.dumps([{"type": "text_contains", "words": ["nonsense("]}]))
    page.fill("#id_actions", json.dumps([{"type": "set_priority", "priority": "sky"}]))
    page.click("input[name=_continue]")
    assert "must be one of" in page.inner_text(".errorlist")  # validation with a reason
    page.fill(
        "#id_conditions",
        json.dumps([{"type": "text_contains", "words": ["возврат", "refund"]}], ensure_ascii=False),
    )
    page.fill(
        "#id_actions",
        json.dumps(
            [{"type": "set_priority", "priority": "urgent"}, {"type": "add_tag", "tag": "refund"}]
        ),
    )
    page.click("input[name=_continue]")
    rule = Rule.objects.get(name="Refunds are urgent")
    assert rule.actions[0] == {"type": "set_priority", "priority": "urgent"}

    page.click("a.dry-run-link")
    page.fill("#id_text", "Здравствуйте, когда будет возврат денег?")
    page.select_option("#id_channel", label="Support bot (Telegram)")
    page.click("input[name=run]")
    row = page.locator(f"#dry-run-results tr[data-rule='{rule.pk}']")
    assert "matched" in row.inner_text()
    assert row.get_attribute("class") == "rule-matched"
    assert "set_priority" in row.inner_text() and "add_tag" in row.inner_text()
    screenshot("rules-admin-dry-run")

    page.fill("#id_text", "Where is my parcel?")
    page.click("input[name=run]")
    row = page.locator(f"#dry-run-results tr[data-rule='{rule.pk}']")
    assert row.get_attribute("class") == "rule-not-matched"
    assert Rule.objects.count() >= 1 and not page.js_errors
