"""The default taxonomy: tags and keyword rules in Russian and English (data, no ORM).

Shipped by the automation data migration; admins edit the rows afterwards. Order matters:
low-priority rules come first and only touch new tickets, money and complaints come last
and only raise the priority, so "спасибо, но деньги не вернули" ends high.
"""

from __future__ import annotations

TAGS = {
    "delivery": "#0d6efd",
    "payment": "#198754",
    "return/refund": "#fd7e14",
    "technical problem": "#6f42c1",
    "repeat customer": "#20c997",
    "priority request": "#dc3545",
    "complaint": "#b02a37",
    "consultation": "#0dcaf0",
    "feedback": "#6c757d",
}

WORDS = {
    "feedback": [
        "спасибо",
        "благодар",
        "отзыв",
        "понравил",
        "молодц",
        "отличн",
        "супер",
        "thank",
        "thanks",
        "feedback",
        "review",
        "great service",
        "well done",
        "love",
    ],
    "clarification": [
        "уточн",
        "правильно ли я понимаю",
        "просто хотел",
        "просто хотела",
        "clarify",
        "clarification",
        "just to confirm",
        "quick question",
        "just checking",
    ],
    "consultation": [
        "подскаж",
        "консультац",
        "посовет",
        "интересует",
        "хотел бы узнать",
        "хотела бы узнать",
        "хочу узнать",
        "можно ли",
        "какие есть",
        "как выбрать",
        "how do i",
        "how can i",
        "advice",
        "consult",
        "is it possible",
        "would like to know",
        "wondering",
        "which one",
        "recommend",
    ],
    "delivery": [
        "достав",
        "курьер",
        "посылк",
        "трек",
        "отслежив",
        "отправлени",
        "где мой заказ",
        "где заказ",
        "пункт выдачи",
        "самовывоз",
        "delivery",
        "deliver",
        "shipping",
        "shipped",
        "shipment",
        "courier",
        "tracking",
        "parcel",
        "package",
        "where is my order",
        "pick up point",
    ],
    "technical problem": [
        "ошибк",
        "не работает",
        "не работают",
        "не могу войти",
        "не загруж",
        "не открыва",
        "сломал",
        "баг",
        "глюч",
        "вылета",
        "завис",
        "не приходит код",
        "error",
        "bug",
        "crash",
        "not working",
        "doesn't work",
        "does not work",
        "broken",
        "can't log in",
        "cannot log in",
        "won't load",
        "freezes",
    ],
    "payment": [
        "оплат",
        "платеж",
        "заплат",
        "списа",
        "деньг",
        "счет на оплату",
        "банковск карт",
        "карту",
        "картой",
        "чек",
        "рассрочк",
        "payment",
        "pay",
        "paid",
        "charge",
        "charged",
        "invoice",
        "billing",
        "card",
        "receipt",
        "transaction",
    ],
    "return/refund": [
        "возврат",
        "вернуть",
        "верните",
        "вернули",
        "вернете",
        "обмен",
        "поменять товар",
        "refund",
        "return",
        "money back",
        "exchange",
        "send it back",
    ],
    "complaint": [
        "жалоб",
        "ужасн",
        "безобраз",
        "возмутительн",
        "недоволен",
        "недовольна",
        "претензи",
        "обман",
        "хамств",
        "отвратительн",
        "кошмар",
        "complain",
        "complaint",
        "terrible",
        "awful",
        "unacceptable",
        "disappointed",
        "worst",
        "scam",
        "rude",
        "ridiculous",
    ],
    "priority request": [
        "срочно",
        "срочн",
        "немедленно",
        "как можно скорее",
        "горит",
        "urgent",
        "urgently",
        "asap",
        "immediately",
        "emergency",
        "right now",
    ],
}


def _text(words: list[str]) -> dict:
    return {"type": "text_contains", "words": words}


def _new_only() -> dict:
    return {"type": "status", "statuses": ["new"]}


PROBLEMS = [
    w
    for k in (
        "delivery",
        "technical problem",
        "payment",
        "return/refund",
        "complaint",
        "priority request",
    )
    for w in WORDS[k]
]


def _no_problem() -> dict:
    """ "Спасибо заранее, где мой заказ?" is a delivery question, not feedback."""
    return {"type": "text_contains", "words": PROBLEMS, "not": True}


RULES = [
    # name, trigger, conditions, actions — in order (position = 10, 20, ...)
    (
        "Repeat customer",
        "ticket_created",
        [{"type": "customer_repeat", "value": True}],
        [{"type": "add_tag", "tag": "repeat customer"}],
    ),
    (
        "Feedback: tag, low priority",
        "message_received",
        [_text(WORDS["feedback"]), _new_only(), _no_problem()],
        [{"type": "add_tag", "tag": "feedback"}, {"type": "set_priority", "priority": "low"}],
    ),
    (
        "Clarification: low priority",
        "message_received",
        [_text(WORDS["clarification"]), _new_only(), _no_problem()],
        [{"type": "set_priority", "priority": "low"}],
    ),
    (
        "Consultation: tag, normal priority",
        "message_received",
        [_text(WORDS["consultation"]), _new_only()],
        [
            {"type": "add_tag", "tag": "consultation"},
            {"type": "set_priority", "priority": "normal"},
        ],
    ),
    (
        "Delivery",
        "message_received",
        [_text(WORDS["delivery"])],
        [{"type": "add_tag", "tag": "delivery"}],
    ),
    (
        "Technical problem",
        "message_received",
        [_text(WORDS["technical problem"])],
        [{"type": "add_tag", "tag": "technical problem"}],
    ),
    (
        "Payment: money is high priority",
        "message_received",
        [_text(WORDS["payment"])],
        [
            {"type": "add_tag", "tag": "payment"},
            {"type": "set_priority", "priority": "high", "only_raise": True},
        ],
    ),
    (
        "Return or refund: money is high priority",
        "message_received",
        [_text(WORDS["return/refund"])],
        [
            {"type": "add_tag", "tag": "return/refund"},
            {"type": "set_priority", "priority": "high", "only_raise": True},
        ],
    ),
    (
        "Complaint: high priority",
        "message_received",
        [_text(WORDS["complaint"])],
        [
            {"type": "add_tag", "tag": "complaint"},
            {"type": "set_priority", "priority": "high", "only_raise": True},
        ],
    ),
    (
        "Priority request",
        "message_received",
        [_text(WORDS["priority request"])],
        [
            {"type": "add_tag", "tag": "priority request"},
            {"type": "set_priority", "priority": "high", "only_raise": True},
        ],
    ),
]
