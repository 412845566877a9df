"""The shape of demo traffic: topics, channels, volume by weekday and hour, delays. No ORM."""

from __future__ import annotations

import bisect
import math
from itertools import accumulate

HOUR = 3600.0
DAY = 86400.0
LOCAL_OFFSET = 3 * HOUR  # the shop lives in Moscow time (UTC+3); shapes are in local time

# topic: (weight, tags, team, priority weights urgent/high/normal/low)
TOPICS = {
    "delivery": (30, ["delivery"], "Support", (0.02, 0.18, 0.70, 0.10)),
    "payment": (17, ["payment"], "Billing", (0.15, 0.60, 0.25, 0.00)),
    "return": (15, ["return"], "Returns", (0.02, 0.20, 0.68, 0.10)),
    "technical": (14, ["technical"], "Support", (0.05, 0.25, 0.60, 0.10)),
    "consultation": (13, ["consultation"], "Support", (0.00, 0.02, 0.58, 0.40)),
    "complaint": (6, ["complaint", "delivery"], "Support", (0.20, 0.65, 0.15, 0.00)),
    "feedback": (5, ["feedback"], "Support", (0.00, 0.00, 0.15, 0.85)),
}
TOPIC_NAMES = list(TOPICS)
TOPIC_CUM = list(accumulate(t[0] for t in TOPICS.values()))
PRIORITIES = ["urgent", "high", "normal", "low"]
PRIORITY_CUM = {name: list(accumulate(t[3])) for name, t in TOPICS.items()}

TAGS = {
    "delivery": "#0d6efd",
    "payment": "#dc3545",
    "return": "#fd7e14",
    "technical": "#6f42c1",
    "complaint": "#b02a37",
    "consultation": "#20c997",
    "feedback": "#198754",
    "repeat customer": "#ffc107",
}
TEAMS = ["Support", "Billing", "Returns"]

# (channel name, demo kind, weight)
CHANNELS = [
    ("Telegram bridge", "telegram", 35),
    ("WhatsApp bridge", "whatsapp", 25),
    ("Web chat", "webchat", 20),
    ("Support mailbox", "email", 20),
]
CHANNEL_CUM = list(accumulate(c[2] for c in CHANNELS))

# Relative ticket volume by local hour (0..23) and weekday (Mon..Sun).
HOURLY = [
    0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.2, 0.45, 0.8, 1.1, 1.25, 1.3,
    1.25, 1.2, 1.25, 1.2, 1.1, 1.0, 0.95, 1.0, 0.95, 0.8, 0.55, 0.3,
]  # fmt: skip
WEEKDAY = [1.15, 1.1, 1.05, 1.0, 0.95, 0.6, 0.5]


def pick(rng, names, cum):
    return names[bisect.bisect_right(cum, rng.random() * cum[-1])]


def priority_for(rng, topic: str) -> str:
    cum = PRIORITY_CUM[topic]
    return PRIORITIES[min(bisect.bisect_right(cum, rng.random() * cum[-1]), 3)]


def creation_times(rng, *, count: int, days: int, now: float) -> list[float]:
    """`count` sorted epoch times over the last `days` days, shaped by hour and weekday.

    Volume also grows slightly over the period (a shop that is doing well).
    """
    start = now - days * DAY
    slots = int(days * 24) + 1
    first = math.floor((start + LOCAL_OFFSET) / HOUR)  # local hour index of the first slot
    weights = []
    for i in range(slots):
        local_hour = first + i
        hour = local_hour % 24
        weekday = (local_hour // 24 + 3) % 7  # 1970-01-01 was a Thursday
        growth = 0.8 + 0.4 * i / slots
        weights.append(HOURLY[hour] * WEEKDAY[weekday] * growth)
    cum = list(accumulate(weights))
    total = cum[-1]
    times = []
    for _ in range(count):
        slot = bisect.bisect_right(cum, rng.random() * total)
        t = (first + slot) * HOUR - LOCAL_OFFSET + rng.random() * HOUR
        times.append(min(max(t, start), now - 1.0))
    times.sort()
    return times


def staffed(t: float) -> bool:
    """Agents work 08:00-22:00 local on weekdays, 10:00-19:00 at weekends."""
    local = t + LOCAL_OFFSET
    hour = int(local // HOUR) % 24
    weekday = (int(local // DAY) + 3) % 7
    if weekday >= 5:
        return 10 <= hour < 19
    return 8 <= hour < 22


def next_staffed(t: float) -> float:
    """The first moment at or after `t` when agents are at work (hour resolution)."""
    if staffed(t):
        return t
    hour_start = math.floor(t / HOUR) * HOUR
    for i in range(1, 72):
        if staffed(hour_start + i * HOUR):
            return hour_start + i * HOUR
    return t


def response_delay(rng, t: float, priority: str) -> float:
    """Seconds from a customer message at `t` until an agent answers it."""
    median = {"urgent": 300.0, "high": 600.0, "normal": 1500.0, "low": 3600.0}[priority]
    start = next_staffed(t)
    return (start - t) + rng.lognormvariate(math.log(median), 0.9) + 20.0


def customer_delay(rng) -> float:
    """Seconds a customer takes to answer an agent: minutes to a day."""
    return min(rng.lognormvariate(math.log(2 * HOUR), 1.2), 2 * DAY) + 30.0
