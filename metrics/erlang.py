"""Erlang C: how many agents a queue needs for a target service level. Pure, no ORM.

Traffic A (erlangs) = arrivals per second × average handling time (s). With N agents
(N > A), the probability that a contact waits is Erlang C:

    C(N, A) = N·B / (N − A·(1 − B)),  B = Erlang B(N, A) computed by the stable recursion
    B(0) = 1,  B(k) = A·B(k−1) / (k + A·B(k−1)).

Service level (share answered within T seconds) = 1 − C · exp(−(N − A) · T / AHT), and the
average speed of answer ASA = C · AHT / (N − A).
"""

from __future__ import annotations

import math

MAX_AGENTS = 10_000


def traffic(arrivals_per_hour: float, aht_seconds: float) -> float:
    """Offered load in erlangs."""
    return arrivals_per_hour * aht_seconds / 3600.0


def erlang_b(agents: int, load: float) -> float:
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability of waiting; 1.0 when the agents cannot keep up (N <= A)."""
    if load <= 0:
        return 0.0
    if agents <= load:
        return 1.0
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1 - b))


def service_level(agents: int, load: float, aht_seconds: float, target_seconds: float) -> float:
    """Share of contacts answered within `target_seconds`."""
    if load <= 0:
        return 1.0
    if agents <= load:
        return 0.0
    c = erlang_c(agents, load)
    return 1 - c * math.exp(-(agents - load) * target_seconds / aht_seconds)


def average_speed_of_answer(agents: int, load: float, aht_seconds: float) -> float:
    if load <= 0:
        return 0.0
    if agents <= load:
        return math.inf
    return erlang_c(agents, load) * aht_seconds / (agents - load)


def agents_needed(
    arrivals_per_hour: float,
    aht_seconds: float,
    *,
    target_level: float = 0.8,
    target_seconds: float = 60,
) -> int:
    """The smallest number of agents meeting the service level (0 when there is no work)."""
    if arrivals_per_hour <= 0 or aht_seconds <= 0:
        return 0
    load = traffic(arrivals_per_hour, aht_seconds)
    n = max(1, math.floor(load) + 1)
    while n < MAX_AGENTS:
        if service_level(n, load, aht_seconds, target_seconds) >= target_level:
            return n
        n += 1
    return n
