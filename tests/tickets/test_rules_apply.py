"""Rules on the intake: each action through the services, event log with rule:<id>,
the default taxonomy on real-sounding Russian and English messages, time rules, dry run."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.factories.tickets import AgentProfileFactory, ChannelFactory, TagFactory, TeamFactory
from tests.tickets.automation_helpers import _fresh_rules_cache, say  # noqa: F401
from tickets.automation.models import ChannelSettings, Rule
from tickets.models import AuthorKind, Ticket, TicketEvent
from tickets.rules import context as providers
from tickets.rules.apply import rules_time_sweep
from tickets.rules.dry_run import rules_dry_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(db):
    return ChannelFactory(kind="telegram", name="Support bot")


@pytest.fixture
def only(db):
    """Switch the default taxonomy off and add the given rules."""

    def _only(*rules):
        Rule.objects.update(is_active=False)
        made = []
        for i, (conditions, actions) in enumerate(rules):
            made.append(
                Rule.objects.create(
                    name=f"r{i}", position=i, conditions=conditions, actions=actions
                )
            )
        return made

    return _only


def rule_events(ticket, rule):
    return list(
        TicketEvent.objects.filter(ticket=ticket, actor_label=f"rule:{rule.pk}").values_list(
            "kind", flat=True
        )
    )


DELIVERY = {"type": "text_contains", "words": ["достав", "delivery"]}


def test_add_and_remove_tag(channel, only):
    TagFactory(name="new-customer")
    (rule,) = only(
        (
            [DELIVERY],
            [
                {"type": "add_tag", "tag": "delivery"},
                {"type": "add_tag", "tag": "courier"},
                {"type": "remove_tag", "tag": "new-customer"},
            ],
        )
    )
    message = say(channel, "Когда будет доставка?")
    ticket = message.ticket
    assert set(ticket.tags.values_list("name", flat=True)) == {"delivery", "courier"}
    assert rule_events(ticket, rule) == ["tags_changed"]  # one change for the rule's tags


def test_set_priority_and_only_raise(channel, only):
    low, high = only(
        ([DELIVERY], [{"type": "set_priority", "priority": "low"}]),
        ([DELIVERY], [{"type": "set_priority", "priority": "urgent", "only_raise": True}]),
    )
    ticket = say(channel, "Delivery is late").ticket
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.priority_rank) == ("urgent", 0)
    assert rule_events(ticket, low) == ["priority_changed"]
    assert rule_events(ticket, high) == ["priority_changed"]
    event = TicketEvent.objects.filter(actor_label=f"rule:{high.pk}").get()
    assert event.data == {"from": "low", "to": "urgent"}


def test_only_raise_never_lowers(channel, only):
    only(([DELIVERY], [{"type": "set_priority", "priority": "high", "only_raise": True}]))
    ticket = say(channel, "hello").ticket
    Ticket.objects.filter(pk=ticket.pk).update(priority="urgent", priority_rank=0)
    say(channel, "delivery?")
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


def test_set_team_and_assign_agent(channel, only, operator):
    team = TeamFactory(name="Logistics")
    rule, assign = only(
        ([DELIVERY], [{"type": "set_team", "team": "logistics"}]),
        ([DELIVERY], [{"type": "assign", "agent": operator.username}]),
    )
    ticket = say(channel, "доставка").ticket
    assert (ticket.team, ticket.assignee) == (team, operator)
    assert rule_events(ticket, rule) == ["team_changed"]
    assert rule_events(ticket, assign) == ["assigned"]


def test_assign_by_strategy(channel, only):
    team = TeamFactory(name="Support")
    agent = AgentProfileFactory(online_state="online")
    agent.teams.add(team)
    only(
        ([], [{"type": "set_team", "team": team.pk}]),
        ([DELIVERY], [{"type": "assign", "strategy": "least_loaded"}]),
    )
    ticket = say(channel, "delivery").ticket
    assert ticket.assignee == agent.user


def test_auto_reply_is_a_bot_message_sent_once(channel, only):
    (rule,) = only(
        (
            [],
            [{"type": "auto_reply", "text": "Здравствуйте, {customer_name}! Заявка #{ticket_id}."}],
        )
    )
    ticket = say(channel, "Привет").ticket
    say(channel, "Ещё вопрос")
    replies = ticket.messages.filter(direction="out")
    assert [m.text for m in replies] == [f"Здравствуйте, Ирина! Заявка #{ticket.pk}."]
    assert replies[0].author_kind == AuthorKind.BOT and replies[0].delivery_status == "queued"
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # a bot never counts as the first response
    assert "auto_replied" in rule_events(ticket, rule)


def test_send_menu_action(channel, only):
    ChannelSettings.objects.create(
        channel=channel,
        menu={"text": "Чем помочь?", "options": [{"key": "1", "label": "Доставка"}]},
    )
    only(([], [{"type": "send_menu"}]))
    ticket = say(channel, "Добрый день").ticket
    menu = ticket.messages.get(direction="out")
    assert menu.text == "Чем помочь?\n1. Доставка"
    assert menu.buttons["options"] == [{"key": "1", "label": "Доставка"}]


def test_set_status_and_notify(channel, only):
    status, notify = only(
        (
            [{"type": "text_contains", "words": ["спам"]}],
            [{"type": "set_status", "status": "solved"}],
        ),
        (
            [{"type": "text_contains", "words": ["спам"]}],
            [{"type": "notify", "text": "Спам в #{ticket_id}"}],
        ),
    )
    ticket = say(channel, "Это спам").ticket
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert rule_events(ticket, status) == ["status_changed"]
    note = TicketEvent.objects.get(actor_label=f"rule:{notify.pk}")
    assert note.kind == "notified" and note.data["text"] == f"Спам в #{ticket.pk}"


def test_ticket_created_trigger_and_ticket_updated_trigger(channel, only, operator):
    created, updated = only(([], [{"type": "add_tag", "tag": "first"}]), ([], []))
    Rule.objects.filter(pk=created.pk).update(trigger="ticket_created")
    Rule.objects.filter(pk=updated.pk).update(
        trigger="ticket_updated",
        conditions=[{"type": "priority", "priorities": ["urgent"]}],
        actions=[{"type": "add_tag", "tag": "escalated"}],
    )
    ticket = say(channel, "one").ticket
    say(channel, "two")
    assert list(ticket.tags.values_list("name", flat=True)) == ["first"]
    from tickets.services import ticket_set_priority

    ticket_set_priority(ticket=ticket, priority="urgent", actor=operator)
    assert set(ticket.tags.values_list("name", flat=True)) == {"first", "escalated"}


def test_time_rule_fires_once_per_status_period(channel, only):
    (rule,) = only(
        (
            [
                {"type": "status_unchanged_for", "hours": 24},
                {"type": "status", "statuses": ["open", "new"]},
            ],
            [{"type": "add_tag", "tag": "stale"}, {"type": "set_priority", "priority": "high"}],
        )
    )
    Rule.objects.filter(pk=rule.pk).update(trigger="time")
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        ticket = say(channel, "hello").ticket
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        assert rules_time_sweep() == 0
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        assert rules_time_sweep() == 1
        assert rules_time_sweep() == 0
    ticket.refresh_from_db()
    assert ticket.priority == "high" and ticket.tags.filter(name="stale").exists()


def test_time_sweep_reaches_every_ticket_beyond_one_chunk(channel, only):
    (rule,) = only(
        ([{"type": "status_unchanged_for", "hours": 1}], [{"type": "add_tag", "tag": "stale"}])
    )
    Rule.objects.filter(pk=rule.pk).update(trigger="time")
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        tickets = [say(channel, "hello", user=f"u{n}").ticket for n in range(5)]
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        assert rules_time_sweep(limit=2) == 5
    assert all(t.tags.filter(name="stale").exists() for t in tickets)


def test_business_hours_condition_uses_a_registered_provider(channel, only):
    only(([{"type": "business_hours", "value": False}], [{"type": "add_tag", "tag": "night"}]))
    providers.register_context_provider("in_business_hours", lambda *, ticket, at: False)
    try:
        ticket = say(channel, "hi").ticket
    finally:
        providers.unregister_context_provider("in_business_hours")
    assert ticket.tags.filter(name="night").exists()


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), True),  # Monday 09:00
        (datetime(2026, 3, 2, 17, 59, tzinfo=UTC), True),
        (datetime(2026, 3, 2, 18, 0, tzinfo=UTC), False),
        (datetime(2026, 3, 7, 12, 0, tzinfo=UTC), False),  # Saturday
    ],
)
def test_fallback_business_hours(at, inside):
    assert providers.fallback_in_business_hours(at) is inside


def test_after_hours_reply_with_expected_time(channel, only):
    only()
    ChannelSettings.objects.create(
        channel=channel, after_hours_reply="Мы ответим {expected_at}. Заявка #{ticket_id}."
    )
    friday_night = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
    with time_machine.travel(friday_night, tick=False):
        ticket = say(channel, "Алло", at=friday_night).ticket
        say(channel, "Алло?", at=friday_night)
    (reply,) = ticket.messages.filter(direction="out")
    assert reply.text == f"Мы ответим 09.03.2026 09:00 (UTC). Заявка #{ticket.pk}."
    assert reply.author_kind == "bot"
    monday = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    with time_machine.travel(monday, tick=False):
        other = say(channel, "Hi", user="u2", at=monday).ticket
    assert not other.messages.filter(direction="out").exists()


# --- the default taxonomy -------------------------------------------------------------------

TAXONOMY = [
    ("Здравствуйте! Где мой заказ? Трек-номер не обновляется уже неделю", {"delivery"}, "normal"),
    ("Курьер не приехал, доставку перенесли второй раз", {"delivery"}, "normal"),
    (
        "С карты списали деньги дважды за один заказ, верните пожалуйста",
        {"payment", "return/refund"},
        "high",
    ),
    ("Хочу оформить возврат, товар не подошёл по размеру", {"return/refund"}, "high"),
    (
        "Не могу оплатить заказ, оплата картой выдаёт ошибку",
        {"payment", "technical problem"},
        "high",
    ),
    ("Приложение не работает, вылетает при входе", {"technical problem"}, "normal"),
    ("Это безобразие! Ваш оператор нахамил мне, пишу жалобу", {"complaint"}, "high"),
    ("Срочно! Заказ нужен сегодня до вечера", {"priority request"}, "high"),
    ("Подскажите, пожалуйста, какой размер выбрать?", {"consultation"}, "normal"),
    ("Спасибо большое, всё пришло вовремя, очень довольна!", {"feedback"}, "low"),
    ("Хочу уточнить: самовывоз работает в субботу?", {"delivery"}, "normal"),
    ("Hi, where is my order? The tracking page has not changed for days", {"delivery"}, "normal"),
    (
        "I was charged twice for the same order, please refund one payment",
        {"payment", "return/refund"},
        "high",
    ),
    ("I'd like to return these shoes, they don't fit", {"return/refund"}, "high"),
    ("The app keeps crashing with an error when I log in", {"technical problem"}, "normal"),
    ("This is unacceptable, the worst service ever. I want to complain", {"complaint"}, "high"),
    ("URGENT: need the invoice today", {"priority request", "payment"}, "high"),
    ("Could you recommend which model is better for kids?", {"consultation"}, "normal"),
    ("Thanks a lot, great service!", {"feedback"}, "low"),
    ("Just to confirm, is my address correct?", set(), "low"),
]


@pytest.mark.parametrize(("text", "tags", "priority"), TAXONOMY)
def test_default_taxonomy(channel, text, tags, priority):
    ticket = say(channel, text).ticket
    ticket.refresh_from_db()
    assert set(ticket.tags.values_list("name", flat=True)) == tags
    assert ticket.priority == priority
    for event in ticket.events.exclude(kind__in=["created"]):
        assert event.actor_label.startswith("rule:")


def test_default_taxonomy_repeat_customer(channel):
    first = say(channel, "Привет").ticket
    from tickets.services import ticket_set_status

    ticket_set_status(ticket=first, status="closed")
    second = say(channel, "Снова я").ticket
    assert second.pk != first.pk
    assert second.tags.filter(name="repeat customer").exists()


# --- dry run ----------------------------------------------------------------------------------


def test_dry_run_explains_without_writing(channel, only):
    rule, other = only(
        (
            [DELIVERY, {"type": "customer_tag", "tags": ["vip"]}],
            [{"type": "set_priority", "priority": "urgent"}],
        ),
        ([{"type": "channel_kind", "kinds": ["email"]}], [{"type": "add_tag", "tag": "mail"}]),
    )
    before = (Ticket.objects.count(), TicketEvent.objects.count())
    results = rules_dry_run(
        text="Где доставка?",
        trigger="message_received",
        channel=channel,
        customer_tags=["VIP"],
    )
    assert [(r.rule.id, r.matched) for r in results] == [(rule.pk, True), (other.pk, False)]
    assert [c.matched for c in results[0].conditions] == [True, True]
    assert [a.type for a in results[0].actions] == ["set_priority"]
    assert (Ticket.objects.count(), TicketEvent.objects.count()) == before


def test_sla_calendar_provider_for_business_hours():
    from sla import rules_provider
    from tests.factories.tickets import TicketFactory

    ticket = TicketFactory()
    monday_ten = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    assert rules_provider.in_business_hours(ticket=ticket, at=monday_ten) is True
    assert rules_provider.in_business_hours(ticket=ticket, at=saturday) is False
    assert rules_provider.next_business_open(ticket=ticket, at=saturday) == datetime(
        2026, 3, 9, 9, 0, tzinfo=UTC
    )
