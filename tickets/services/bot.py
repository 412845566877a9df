"""The bot: self-service menus, knowledge-base answers, hand-over to a human.

Bot messages go through `ticket_reply(author_kind=BOT, author=None)`: the channel's sender
delivers them, and they never count as a human first response.

Menus are sent as numbered text on every channel. The same options are stored in
`Message.buttons` so messenger adapters can render native buttons:

    {"type": "menu", "prompt": "How can we help?",
     "options": [{"key": "1", "label": "Delivery"}, {"key": "0", "label": "Operator"}]}

A button press comes back as customer text equal to the option's key or its label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpdesk.exceptions import ApplicationError
from tickets.automation.models import BotSession, BotState, ChannelSettings, KnowledgeArticle
from tickets.models import AuthorKind, Message, Status, Tag, Team, Ticket, TicketEvent
from tickets.rules import text as textmod
from tickets.rules.apply import channel_settings
from tickets.services.events import ticket_event_record
from tickets.services.outbound import ticket_reply
from tickets.services.tickets import ticket_set_status, ticket_update_begin, ticket_update_save

BOT_LABEL = "bot"
ANSWERED_TAG = "answered by bot"
OPERATOR_KEY = "0"
CONFIDENT = 0.75
AFTER_HOURS_REPEAT = timedelta(hours=12)
OPERATOR_WORDS = (
    "оператор",
    "человек",
    "живой",
    "специалист",
    "менеджер",
    "operator",
    "human",
    "agent",
    "person",
    "не помогло",
    "did not help",
    "didn't help",
    "connect me",
)
THANKS_WORDS = ("спасибо", "благодар", "помогло", "thank", "thanks", "helped", "great")
HINT = {
    "ru": "Не помогло? Напишите 0 — подключим оператора.",
    "en": "That did not help? Reply 0 to talk to an operator.",
}
OPERATOR_LABEL = {"ru": "Связаться с оператором", "en": "Connect me to an operator"}
HANDOVER = {
    "ru": "Передаём ваш вопрос оператору, он скоро ответит.",
    "en": "Connecting you to an operator; they will answer shortly.",
}


class MenuInvalid(ApplicationError):
    code = "menu_invalid"


# --- menus (pure) --------------------------------------------------------------------------


def menu_validate(menu: Any, *, depth: int = 0) -> None:
    if menu in ({}, None):
        return
    if not isinstance(menu, dict):
        raise MenuInvalid("The menu must be a JSON object.")
    options = menu.get("options")
    if not isinstance(options, list) or not options:
        raise MenuInvalid("A menu needs a non-empty 'options' list.")
    if depth > 5:
        raise MenuInvalid("Menus nest at most 5 levels.")
    keys = set()
    for i, opt in enumerate(options):
        if not isinstance(opt, dict) or not str(opt.get("key", "")).strip():
            raise MenuInvalid(f"Option {i + 1} needs a 'key'.")
        if not isinstance(opt.get("label"), str) or not opt["label"].strip():
            raise MenuInvalid(f"Option {i + 1} needs a 'label'.")
        key = str(opt["key"]).strip().lower()
        if key in keys:
            raise MenuInvalid(f"Key {key!r} is used twice.")
        keys.add(key)
        if "tags" in opt and not isinstance(opt["tags"], list):
            raise MenuInvalid(f"Option {i + 1}: 'tags' must be a list.")
        if "options" in opt:
            menu_validate({"options": opt["options"]}, depth=depth + 1)


def menu_node(menu: dict, path: list[str]) -> dict:
    node = menu
    for key in path:
        node = next((o for o in node.get("options", []) if str(o["key"]) == key), None) or menu
    return node


def menu_render(node: dict, *, default_prompt: str = "") -> tuple[str, dict]:
    prompt = node.get("text") or node.get("label") or default_prompt
    options = [{"key": str(o["key"]), "label": o["label"]} for o in node.get("options", [])]
    lines = [prompt] if prompt else []
    lines += [f"{o['key']}. {o['label']}" for o in options]
    return "\n".join(lines), {"type": "menu", "prompt": prompt, "options": options}


_NUMBERED = re.compile(r"^\s*(\w+)\s*[.)\-:]?\s*(.*)$")


def option_match(node: dict, text: str) -> dict | None:
    """The option the customer chose: its key ("1"), its label ("Delivery"), or both
    ("1. Delivery", as a button echo)."""
    said = textmod.normalize(text).strip().strip("!?.")
    if not said:
        return None
    options = node.get("options", [])
    for opt in options:
        if said == str(opt["key"]).lower() or said == textmod.normalize(opt["label"]).strip():
            return opt
    m = _NUMBERED.match(said)
    if m:
        for opt in options:
            if m.group(1) == str(opt["key"]).lower() and (
                not m.group(2) or m.group(2) == textmod.normalize(opt["label"]).strip()
            ):
                return opt
    return None


def is_operator_request(text: str) -> bool:
    said = textmod.normalize(text).strip().strip("!?.")
    return said == OPERATOR_KEY or textmod.contains_any(said, OPERATOR_WORDS)


def language_of(ticket: Ticket, text: str = "") -> str:
    lang = (ticket.customer.language or "").lower()
    if lang:
        return "ru" if lang.startswith(("ru", "uk", "be", "kk")) else "en"
    sample = f"{text} {ticket.subject}".lower()  # "0" says nothing; the first message does
    return "ru" if re.search(r"[а-яё]", sample) else "en"


# --- knowledge base (pure scoring) ---------------------------------------------------------


@dataclass(frozen=True)
class KbMatch:
    article: KnowledgeArticle
    score: float


def kb_score(text: str, *, question: str, keywords: tuple[str, ...]) -> float:
    """0..1: a phrase keyword ("срок доставки") or two single-word keywords count fully; else
    how much of the question's wording the text covers."""
    normalized = textmod.normalize(text)
    hit = [k for k in keywords if textmod.contains_any(normalized, (k,))]
    phrase = any(len(textmod.WORD.findall(k)) > 1 for k in hit)
    keyword_score = 1.0 if phrase else min(len(hit) / 2, 1.0)
    q = {w for w in textmod.words(question) if len(w) > 3}
    similarity = len(q & textmod.words(text)) / len(q) if q else 0.0
    return max(keyword_score, similarity)


def kb_match(*, text: str, language: str = "") -> KbMatch | None:
    best: KbMatch | None = None
    for article in KnowledgeArticle.objects.filter(is_active=True):
        if article.language and language and not language.startswith(article.language):
            continue
        keywords = tuple(k.strip() for k in article.keywords.split(",") if k.strip())
        score = kb_score(text, question=article.question, keywords=keywords)
        if best is None or score > best.score:
            best = KbMatch(article, score)
    return best if best and best.score >= CONFIDENT else None


# --- writes --------------------------------------------------------------------------------


def bot_reply(*, ticket: Ticket, text: str, buttons: dict | None = None) -> Message:
    """A bot message through the normal reply path (delivered by the channel's sender)."""
    with transaction.atomic():
        message = ticket_reply(ticket=ticket, author=None, text=text, author_kind=AuthorKind.BOT)
        if buttons:
            Message.objects.filter(pk=message.pk).update(buttons=buttons)
            message.buttons = buttons
    return message


def _session_set(ticket: Ticket, **fields) -> BotSession:
    session, _ = BotSession.objects.update_or_create(
        ticket=ticket, defaults={**fields, "updated_at": timezone.now()}
    )
    return session


def menu_send(
    *, ticket: Ticket, menu: dict, path: list[str] | None = None, actor_label: str = BOT_LABEL
) -> Message:
    path = path or []
    text, buttons = menu_render(menu_node(menu, path), default_prompt=menu.get("text", ""))
    with transaction.atomic():
        message = bot_reply(ticket=ticket, text=text, buttons=buttons)
        _session_set(ticket, state=BotState.MENU, menu_path=path, article=None)
        ticket_event_record(
            ticket=ticket,
            kind="menu_sent",
            actor_label=actor_label,
            data={"path": path, "message_id": message.pk},
        )
    return message


def _menu_choose(ticket: Ticket, option: dict, session: BotSession) -> Ticket:
    """Apply the chosen option's tags and team, as the bot (one ticket change)."""
    tags = [Tag.objects.get_or_create(name=str(t)[:60])[0] for t in option.get("tags", [])]
    update = ticket_update_begin(ticket=ticket)
    update.record(
        kind="menu_chosen",
        actor_label=BOT_LABEL,
        data={"path": [*session.menu_path, str(option["key"])], "label": option["label"]},
    )
    if tags:
        update.set_tags(add=tags, actor_label=BOT_LABEL)
    team_ref = option.get("team")
    if team_ref:
        ref = str(team_ref)
        team = Team.objects.filter(name__iexact=ref).first() or (
            Team.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
        )
        if team:
            update.set_team(team=team, actor_label=BOT_LABEL)
    return ticket_update_save(update=update)


def bot_answer(*, ticket: Ticket, article: KnowledgeArticle, text: str = "") -> Message:
    """Answer from the knowledge base, mark the ticket answered by bot and solve it; the
    customer can always ask for an operator (0)."""
    lang = language_of(ticket, text)
    body = f"{article.answer.strip()}\n\n{HINT[lang]}"
    buttons = {
        "type": "menu",
        "prompt": article.answer.strip(),
        "options": [{"key": OPERATOR_KEY, "label": OPERATOR_LABEL[lang]}],
    }
    with transaction.atomic():
        message = bot_reply(ticket=ticket, text=body, buttons=buttons)
        tag = Tag.objects.get_or_create(name=ANSWERED_TAG)[0]
        # The reply left message.ticket locked and current: tag, note and solve as one change.
        update = ticket_update_begin(ticket=message.ticket, locked=True)
        update.set_tags(add=[tag], actor_label=BOT_LABEL)
        update.record(
            kind="bot_answered",
            actor_label=BOT_LABEL,
            data={"article": article.pk, "message_id": message.pk},
        )
        _session_set(update.ticket, state=BotState.ANSWERED, menu_path=[], article=article)
        update.set_status(status=Status.SOLVED, actor_label=BOT_LABEL)
        message.ticket = ticket_update_save(update=update)
    return message


def bot_handover(*, ticket: Ticket, reason: str, text: str = "") -> Ticket:
    """Stop the bot on this ticket and leave it to humans (the caller routes it)."""
    with transaction.atomic():
        BotSession.objects.filter(ticket=ticket).delete()
        update = ticket_update_begin(ticket=ticket)
        update.record(kind="bot_handover", actor_label=BOT_LABEL, data={"reason": reason})
        tag = Tag.objects.filter(name=ANSWERED_TAG).first()
        if tag is not None:
            update.set_tags(remove=[tag], actor_label=BOT_LABEL)
        if update.ticket.status in (Status.SOLVED, Status.PENDING):
            update.set_status(status=Status.OPEN, actor_label=BOT_LABEL)
        ticket = ticket_update_save(update=update)
        message = bot_reply(ticket=ticket, text=HANDOVER[language_of(ticket, text)])
    return message.ticket  # as the reply left it


@dataclass(frozen=True)
class BotTurn:
    handled: bool  # the bot answered: no human routing now
    ticket: Ticket  # the ticket as the bot left it (current, locked in this transaction)
    session_open: bool  # a BotSession may exist: the bot is still talking to the customer


def bot_idle(*, ticket: Ticket) -> bool:
    """True when the bot has nothing to do on this ticket unless it is already talking to
    the customer (a BotSession): no channel features, or a human has it."""
    settings_ = channel_settings(ticket.channel_id)
    return (
        settings_ is None
        or ticket.assignee_id is not None
        or bool(ticket.agent_reply_count)
        or not (settings_.bot_answers or (settings_.menu and settings_.menu_on_new_ticket))
    )


def bot_turn(*, ticket: Ticket, message: Message, no_session: bool = False) -> BotTurn:
    """The bot's turn on a customer message. `no_session`: the caller knows the ticket has
    no BotSession (it was created by this message and nothing sent a menu yet)."""
    if message.author_kind != AuthorKind.CUSTOMER:
        return BotTurn(False, ticket, False)
    if no_session and bot_idle(ticket=ticket):
        return BotTurn(False, ticket, False)
    text = message.text or ""
    settings_ = channel_settings(ticket.channel_id)
    session = None if no_session else BotSession.objects.filter(ticket=ticket).first()
    session_open = session is not None
    if session is not None:
        if is_operator_request(text):
            ticket = bot_handover(ticket=ticket, reason="customer asked", text=text)
            return BotTurn(False, ticket, False)
        if session.state == BotState.MENU and settings_ and settings_.menu:
            node = menu_node(settings_.menu, session.menu_path)
            option = option_match(node, text)
            if option is not None:
                if option.get("operator"):
                    ticket = bot_handover(ticket=ticket, reason="menu", text=text)
                    return BotTurn(False, ticket, False)
                ticket = _menu_choose(ticket, option, session)
                if option.get("options"):
                    path = [*session.menu_path, str(option["key"])]
                    ticket = menu_send(ticket=ticket, menu=settings_.menu, path=path).ticket
                    return BotTurn(True, ticket, True)
                if option.get("reply"):
                    lang = language_of(ticket, text)
                    reply = bot_reply(ticket=ticket, text=f"{option['reply']}\n\n{HINT[lang]}")
                    _session_set(reply.ticket, state=BotState.ANSWERED, menu_path=[], article=None)
                    return BotTurn(True, reply.ticket, True)
                BotSession.objects.filter(pk=session.pk).delete()
                return BotTurn(False, ticket, False)
            BotSession.objects.filter(pk=session.pk).delete()  # free text: leave the menu
            session_open = False
        elif session.state == BotState.ANSWERED:
            said = textmod.normalize(text)
            if textmod.contains_any(said, THANKS_WORDS) and len(said) < 80:
                # "Thanks, that helped": the intake reopened it; solved by the bot again.
                ticket = ticket_set_status(
                    ticket=ticket, status=Status.SOLVED, actor_label=BOT_LABEL
                )
                return BotTurn(True, ticket, True)
            match = kb_match(text=text, language=ticket.customer.language)
            if match is None:
                ticket = bot_handover(ticket=ticket, reason="no answer", text=text)
                return BotTurn(False, ticket, False)
            answer = bot_answer(ticket=ticket, article=match.article, text=text)
            return BotTurn(True, answer.ticket, True)
    if settings_ is None or ticket.assignee_id is not None or ticket.agent_reply_count:
        return BotTurn(False, ticket, session_open)
    if settings_.bot_answers:
        match = kb_match(text=text, language=ticket.customer.language)
        if match is not None:
            answer = bot_answer(ticket=ticket, article=match.article, text=text)
            return BotTurn(True, answer.ticket, True)
    if settings_.menu and settings_.menu_on_new_ticket and session is None:
        first = not Message.objects.filter(ticket=ticket).exclude(pk=message.pk).exists()
        if first:
            ticket = menu_send(ticket=ticket, menu=settings_.menu).ticket
            return BotTurn(True, ticket, True)
    return BotTurn(False, ticket, session_open)


def bot_handle_inbound(*, ticket: Ticket, message: Message) -> bool:
    """The bot's turn on a customer message. True: the bot handled it (no human routing now)."""
    return bot_turn(ticket=ticket, message=message).handled


def after_hours_reply_due(*, ticket: Ticket, at=None) -> ChannelSettings | None:
    """The channel's settings when its outside-hours reply is due on this ticket now: the
    channel has one, it is outside business hours, and none was sent within
    AFTER_HOURS_REPEAT."""
    from tickets.rules import context as providers

    at = at or timezone.now()
    settings_ = channel_settings(ticket.channel_id)
    if settings_ is None or not settings_.after_hours_reply.strip():
        return None
    if providers.in_business_hours(ticket=ticket, at=at):
        return None
    if TicketEvent.objects.filter(
        ticket=ticket, kind="after_hours_replied", created_at__gte=at - AFTER_HOURS_REPEAT
    ).exists():
        return None
    return settings_


def after_hours_reply_send(*, ticket: Ticket, settings_: ChannelSettings, at=None) -> Message:
    """Send the channel's outside-hours reply with the expected answer time."""
    from tickets.rules.templates import render

    at = at or timezone.now()
    with transaction.atomic():
        message = bot_reply(
            ticket=ticket, text=render(settings_.after_hours_reply, ticket=ticket, now=at)
        )
        ticket_event_record(
            ticket=ticket,
            kind="after_hours_replied",
            actor_label=BOT_LABEL,
            data={"message_id": message.pk},
        )
    return message


def after_hours_reply_maybe(*, ticket: Ticket, at=None) -> Message | None:
    """Outside business hours, the channel's configured reply with the expected answer time,
    once per ticket within AFTER_HOURS_REPEAT."""
    settings_ = after_hours_reply_due(ticket=ticket, at=at)
    if settings_ is None:
        return None
    return after_hours_reply_send(ticket=ticket, settings_=settings_, at=at)
