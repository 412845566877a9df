"""The bot: menus on Telegram and web chat (numbered text + button metadata, choice by key or
label), knowledge-base answers, hand-over to a human."""

import pytest

from tests.factories.tickets import AgentProfileFactory, ChannelFactory, TeamFactory
from tests.tickets.automation_helpers import _fresh_rules_cache, say  # noqa: F401
from tickets import senders
from tickets.automation.models import BotSession, ChannelSettings, KnowledgeArticle, Rule
from tickets.models import Ticket, TicketEvent
from tickets.services.bot import kb_score, menu_validate, option_match

pytestmark = pytest.mark.django_db

MENU = {
    "text": "Чем можем помочь?",
    "options": [
        {"key": "1", "label": "Доставка", "tags": ["delivery"], "team": "Logistics"},
        {
            "key": "2",
            "label": "Оплата",
            "tags": ["payment"],
            "options": [
                {"key": "1", "label": "Способы оплаты", "reply": "Картой, СБП или наличными."},
                {"key": "2", "label": "Деньги списали дважды", "team": "Billing"},
            ],
        },
        {"key": "3", "label": "Возврат", "tags": ["return/refund"], "team": "Billing"},
        {"key": "0", "label": "Оператор", "operator": True},
    ],
}


@pytest.fixture(autouse=True)
def _setup(db):
    Rule.objects.update(is_active=False)
    for name in ("Logistics", "Billing", "Support"):
        TeamFactory(name=name)


def menu_channel(kind):
    channel = ChannelFactory(kind=kind, name=f"{kind} shop")
    ChannelSettings.objects.create(
        channel=channel,
        menu=MENU,
        menu_on_new_ticket=True,
        default_team=TeamFactory(name="Support"),
    )
    return channel


def bot_messages(ticket):
    return list(ticket.messages.filter(direction="out").order_by("pk"))


@pytest.mark.parametrize("kind", ["telegram", "webchat"])
@pytest.mark.parametrize("choice", ["1", "Доставка", "доставка", "1. Доставка"])
def test_menu_choice_by_key_or_label_sets_tag_and_team(kind, choice):
    channel = menu_channel(kind)
    agent = AgentProfileFactory(online_state="online")
    agent.teams.add(Ticket._meta.get_field("team").related_model.objects.get(name="Logistics"))
    ticket = say(channel, "Здравствуйте").ticket
    (menu,) = bot_messages(ticket)
    assert menu.author_kind == "bot" and menu.delivery_status == "queued"
    assert menu.text == "Чем можем помочь?\n1. Доставка\n2. Оплата\n3. Возврат\n0. Оператор"
    assert menu.buttons == {
        "type": "menu",
        "prompt": "Чем можем помочь?",
        "options": [
            {"key": "1", "label": "Доставка"},
            {"key": "2", "label": "Оплата"},
            {"key": "3", "label": "Возврат"},
            {"key": "0", "label": "Оператор"},
        ],
    }
    ticket.refresh_from_db()
    assert ticket.assignee_id is None  # the bot talks first
    say(channel, choice)
    ticket.refresh_from_db()
    assert list(ticket.tags.values_list("name", flat=True)) == ["delivery"]
    assert ticket.team.name == "Logistics"
    assert ticket.assignee_id == agent.user_id  # then a human of the chosen team
    assert not BotSession.objects.filter(ticket=ticket).exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind="menu_chosen").exists()


def test_submenu_and_a_leaf_answer():
    channel = menu_channel("telegram")
    ticket = say(channel, "Добрый день").ticket
    say(channel, "Оплата")
    sub = bot_messages(ticket)[-1]
    assert sub.text == "Оплата\n1. Способы оплаты\n2. Деньги списали дважды"
    assert [o["key"] for o in sub.buttons["options"]] == ["1", "2"]
    say(channel, "1")
    answer = bot_messages(ticket)[-1]
    assert answer.text.startswith("Картой, СБП или наличными.")
    assert "0" in answer.text  # the way to a human is always there
    ticket.refresh_from_db()
    assert ticket.assignee_id is None and ticket.tags.filter(name="payment").exists()


def test_operator_option_hands_over():
    channel = menu_channel("webchat")
    agent = AgentProfileFactory(online_state="online")
    agent.teams.add(Ticket._meta.get_field("team").related_model.objects.get(name="Support"))
    ticket = say(channel, "Hi").ticket
    say(channel, "0")
    ticket.refresh_from_db()
    assert ticket.assignee_id == agent.user_id
    assert TicketEvent.objects.filter(ticket=ticket, kind="bot_handover").exists()
    assert not BotSession.objects.filter(ticket=ticket).exists()


def test_free_text_leaves_the_menu_and_goes_to_a_human():
    channel = menu_channel("telegram")
    ticket = say(channel, "Здравствуйте").ticket
    say(channel, "У меня сложный вопрос про заказ")
    assert not BotSession.objects.filter(ticket=ticket).exists()
    ticket.refresh_from_db()
    assert ticket.team.name == "Support"


def test_menu_is_delivered_through_the_channel_sender(
    monkeypatch, django_capture_on_commit_callbacks
):
    channel = menu_channel("telegram")
    sent = []
    monkeypatch.setitem(senders._senders, "telegram", lambda m: sent.append(m.buttons) or "tg-1")
    with django_capture_on_commit_callbacks(execute=True):
        say(channel, "Привет")
    assert sent and sent[0]["options"][0] == {"key": "1", "label": "Доставка"}


def kb_channel():
    channel = ChannelFactory(kind="telegram", name="Bot")
    ChannelSettings.objects.create(
        channel=channel, bot_answers=True, default_team=TeamFactory(name="Support")
    )
    return channel


def test_bot_answers_a_typical_question_and_solves():
    channel = kb_channel()
    ticket = say(channel, "Сколько дней идёт доставка в Казань?").ticket
    ticket.refresh_from_db()
    (answer,) = bot_messages(ticket)
    assert answer.text.startswith("Доставка по городу занимает 1–2 дня")
    assert "Напишите 0" in answer.text
    assert answer.buttons["options"] == [{"key": "0", "label": "Связаться с оператором"}]
    assert ticket.status == "solved" and ticket.assignee_id is None
    assert ticket.tags.filter(name="answered by bot").exists()
    assert ticket.first_response_at is None and ticket.agent_reply_count == 0
    event = TicketEvent.objects.get(ticket=ticket, kind="bot_answered")
    assert event.actor_label == "bot"


def test_bot_answers_in_english():
    channel = kb_channel()
    ticket = say(channel, "What payment methods do you accept? Can I pay by card?").ticket
    assert bot_messages(ticket)[0].text.startswith("You can pay by card")


@pytest.mark.parametrize(
    "request_text", ["0", "Не помогло, позовите оператора", "connect me to a human"]
)
def test_hand_over_to_a_human(request_text):
    channel = kb_channel()
    agent = AgentProfileFactory(online_state="online")
    agent.teams.add(Ticket._meta.get_field("team").related_model.objects.get(name="Support"))
    ticket = say(channel, "Как узнать статус заказа?").ticket
    say(channel, request_text)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.assignee_id == agent.user_id
    assert not ticket.tags.filter(name="answered by bot").exists()
    assert not BotSession.objects.filter(ticket=ticket).exists()
    assert bot_messages(ticket)[-1].text.startswith("Передаём")


def test_thanks_after_a_bot_answer_keeps_it_solved():
    channel = kb_channel()
    ticket = say(channel, "Какие способы оплаты?").ticket
    say(channel, "Спасибо!")
    ticket.refresh_from_db()
    assert ticket.status == "solved" and ticket.assignee_id is None


def test_unsure_questions_go_to_humans():
    channel = kb_channel()
    ticket = say(channel, "Мне пришёл не тот цвет куртки").ticket
    ticket.refresh_from_db()
    assert not bot_messages(ticket)
    assert ticket.team.name == "Support"


def test_kb_score_and_option_match_are_pure():
    keywords = ("срок доставки", "сколько идет доставка")
    assert (
        kb_score("Какой срок доставки?", question="Сколько идёт доставка?", keywords=keywords)
        >= 0.75
    )
    assert kb_score("Верните деньги", question="Сколько идёт доставка?", keywords=keywords) < 0.5
    assert option_match(MENU, "  3 ")["label"] == "Возврат"
    assert option_match(MENU, "ВОЗВРАТ!")["key"] == "3"
    assert option_match(MENU, "7") is None


@pytest.mark.parametrize(
    "menu",
    [
        {"options": []},
        {"options": [{"key": "1"}]},
        {"options": [{"key": "1", "label": "a"}, {"key": "1", "label": "b"}]},
        {"options": [{"key": "1", "label": "a", "tags": "x"}]},
        [],
    ],
)
def test_menu_validation(menu):
    from tickets.services.bot import MenuInvalid

    with pytest.raises(MenuInvalid):
        menu_validate(menu)


def test_inactive_articles_are_ignored():
    KnowledgeArticle.objects.update(is_active=False)
    channel = kb_channel()
    ticket = say(channel, "Сколько идёт доставка?").ticket
    assert not bot_messages(ticket)
