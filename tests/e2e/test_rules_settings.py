"""An admin builds a rule on the friendly rules page, dry-runs it, saves it, and a message
arriving through the real Telegram webhook then gets the rule's tag."""

import json
import time

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.factories.tickets import ChannelFactory, TeamFactory, UserFactory
from tests.fakes.webhooks import TELEGRAM_SECRET_HEADER
from tickets.automation.models import Rule
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret-pass-word"


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _post_telegram(page, base_url: str, channel, text: str) -> int:
    """A Telegram Bot API update, sent the way Telegram sends it; returns the HTTP status."""
    update = {
        "update_id": 90001,
        "message": {
            "message_id": 17,
            "from": {"id": 4242, "is_bot": False, "first_name": "Irina", "language_code": "en"},
            "chat": {"id": 4242, "type": "private", "first_name": "Irina"},
            "date": int(time.time()),
            "text": text,
        },
    }
    response = page.request.post(
        f"{base_url}/webhooks/telegram/{channel.pk}/",
        data=json.dumps(update),
        headers={"Content-Type": "application/json", TELEGRAM_SECRET_HEADER: channel.secret},
    )
    return response.status


def test_admin_builds_dry_runs_and_saves_a_rule(live_server, page, screenshot):
    UserFactory(username="ada", first_name="Ada", last_name="King", role="admin")
    telegram = ChannelFactory(kind="telegram", name="Support bot", secret="tg-secret-1")
    TeamFactory(name="Billing")
    rules_before = Rule.objects.count()  # the default taxonomy's rules
    _login(page, live_server, "ada")

    page.click("nav >> text=Rules")
    page.wait_for_url(f"{live_server.url}/settings/rules/")
    page.click("#rule-new")
    page.fill("#id_name", "Refunds from Telegram")

    # condition 1: the message contains refund / возврат
    first = page.locator("#condition-rows .rule-row").nth(0)
    first.locator("[data-row-type]").select_option("text_contains")
    first.locator("input[name$='-value']").fill("refund, возврат")
    # condition 2: the channel kind is Telegram
    page.click("[data-add-row=condition]")
    second = page.locator("#condition-rows .rule-row").nth(1)
    second.locator("[data-row-type]").select_option("channel_kind")
    second.get_by_label("Telegram").check()
    # a third row, added and removed again
    page.click("[data-add-row=condition]")
    assert page.locator("#condition-rows .rule-row").count() == 3
    page.locator("#condition-rows .rule-row").nth(2).locator("[data-remove-row]").click()
    assert page.locator("#condition-rows .rule-row").count() == 2

    # actions: tag Return, priority high (only raise), team Billing
    act = page.locator("#action-rows .rule-row").nth(0)
    act.locator("[data-row-type]").select_option("add_tag")
    act.locator("input[name$='-tag']").fill("Return")
    page.click("[data-add-row=action]")
    act = page.locator("#action-rows .rule-row").nth(1)
    act.locator("[data-row-type]").select_option("set_priority")
    act.locator("select[name$='-priority']").select_option("high")
    page.click("[data-add-row=action]")
    act = page.locator("#action-rows .rule-row").nth(2)
    act.locator("[data-row-type]").select_option("set_team")
    act.locator("select[name$='-team']").select_option(label="Billing")

    # dry run on a matching message: nothing is saved
    page.fill("#id_dr-text", "Hello, I want a refund for order 1042")
    page.select_option("#id_dr-channel", label="Support bot (Telegram)")
    page.click("#dry-run-button")
    result = page.locator("#dry-run-results .dry-run-result")
    assert "rule-matched" in result.get_attribute("class")
    assert result.locator(".cond-matched").count() == 2
    actions = result.locator(".dry-run-actions").inner_text()
    assert "“Return”" in actions and "priority high" in actions and "Billing" in actions
    assert Rule.objects.count() == rules_before
    page.locator("#dry-run").scroll_into_view_if_needed()
    screenshot("rules-settings-dry-run")

    # a message that does not match says which condition failed
    page.fill("#id_dr-text", "Where is my parcel?")
    page.click("#dry-run-button")
    result = page.locator("#dry-run-results .dry-run-result")
    assert "rule-not-matched" in result.get_attribute("class")
    assert "refund" in result.locator(".cond-not-matched").inner_text()

    page.click("#rule-save")
    page.wait_for_url(f"{live_server.url}/settings/rules/#rule-*")
    rule = Rule.objects.get(name="Refunds from Telegram")
    assert rule.conditions == [
        {"type": "text_contains", "words": ["refund", "возврат"]},
        {"type": "channel_kind", "kinds": ["telegram"]},
    ]
    item = page.locator(f"#rule-{rule.pk}")
    summary = item.locator(".rule-summary").inner_text()
    assert "“refund”" in summary and "Telegram" in summary and "team Billing" in summary
    page.wait_for_selector(f"#fired-{rule.pk}:has-text('fired 0 times')")  # htmx fetched it
    screenshot("rules-settings-list")
    assert not page.js_errors

    # a customer writes through the real webhook: the new ticket gets the tag
    assert _post_telegram(page, live_server.url, telegram, "Please refund my payment") == 200
    ticket = Ticket.objects.get(channel=telegram)
    assert "Return" in {t.name for t in ticket.tags.all()}
    assert ticket.priority == "high" and ticket.team.name == "Billing"
    page.reload()
    page.wait_for_selector(f"#fired-{rule.pk}:has-text('fired 1 time')")


def test_admin_reorders_by_dragging_and_sees_row_errors(live_server, page, screenshot):
    UserFactory(username="ada", role="admin")
    Rule.objects.update(trigger="ticket_created")  # the default rules out of the way
    first, second, third = (
        Rule.objects.create(name=name, position=10 * i, actions=[{"type": "add_tag", "tag": name}])
        for i, name in enumerate(["first", "second", "third"], start=1)
    )
    _login(page, live_server, "ada")
    page.goto(f"{live_server.url}/settings/rules/")
    page.locator(f"#rule-{third.pk} .drag-handle").hover()
    page.mouse.down()
    page.locator(f"#rule-{first.pk} .rule-summary").hover()
    page.locator(f"#rule-{first.pk} .rule-name").hover()
    # The drop moves the row at once, then posts the order and reloads the page: wait for
    # both, or the database is read before the order is saved.
    with (
        page.expect_navigation(),
        page.expect_response(lambda r: "/settings/rules/reorder/" in r.url) as reorder,
    ):
        page.mouse.up()
    assert reorder.value.ok
    page.wait_for_function(
        "document.querySelector('.rule-list[data-trigger=message_received] .rule-item')"
        f".id === 'rule-{third.pk}'"
    )
    order = list(Rule.objects.filter(trigger="message_received").values_list("name", flat=True))
    assert order == ["third", "first", "second"]

    # the switch turns a rule off without JavaScript help
    page.locator(f"#rule-{second.pk} button[role=switch]").click()
    page.wait_for_url(f"**#rule-{second.pk}")
    assert page.locator(f"#rule-{second.pk}").get_attribute("class").endswith("is-disabled")
    screenshot("rules-settings-reordered")

    page.goto(f"{live_server.url}/settings/rules/{first.pk}/")
    row = page.locator("#condition-rows .rule-row").nth(0)
    row.locator("[data-row-type]").select_option("text_regex")
    row.locator("input[name$='-value']").fill("order (\\d+")
    page.click("#rule-save")
    error = page.locator("#condition-rows .rule-row.has-error .rule-error")
    assert "not a valid regular expression" in error.inner_text()
    screenshot("rules-settings-row-error")
    assert Rule.objects.get(pk=first.pk).conditions == []
    assert not page.js_errors


def test_without_javascript_a_rule_is_built_with_the_show_fields_button(live_server, browser):
    UserFactory(username="ada", role="admin")
    Rule.objects.create(name="earlier", actions=[{"type": "add_tag", "tag": "x"}])
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_server.url}/settings/rules/new/")
        assert page.locator("[data-add-row=condition]").is_hidden()
        page.fill("#id_name", "VIP first")
        page.locator("select[name='c-0-type']").select_option("customer_tag")
        page.locator("select[name='a-0-type']").select_option("set_priority")
        page.click("button[name=refresh]")
        page.locator("input[name='c-0-value']").fill("vip")
        page.locator("select[name='a-0-priority']").select_option("urgent")
        # the next empty rows are there for a second condition and action
        page.locator("select[name='a-1-type']").select_option("send_menu")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "rules-settings-no-js.png"))
        page.click("#rule-save")
        page.wait_for_url(f"{live_server.url}/settings/rules/#rule-*")
        rule = Rule.objects.get(name="VIP first")
        assert rule.conditions == [{"type": "customer_tag", "tags": ["vip"]}]
        assert rule.actions == [
            {"type": "set_priority", "priority": "urgent"},
            {"type": "send_menu"},
        ]
        # reorder without JavaScript: the arrow buttons
        page.locator(f"#rule-{rule.pk} button[value=up]").click()
        page.wait_for_url(f"**#rule-{rule.pk}")
        rule.refresh_from_db()
        previous = Rule.objects.filter(trigger=rule.trigger).order_by("position", "id")
        assert list(previous.values_list("pk", flat=True))[-2] == rule.pk
    finally:
        context.close()
