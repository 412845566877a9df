"""One ticket's life, simulated with the same rules the services apply. No ORM.

`simulate()` walks a conversation (customer messages, agent replies, notes, status changes)
through time and keeps the ticket's denormalised fields exactly as `receive()`,
`ticket_reply()` and `ticket_set_status()` would leave them. Times are epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tickets.demo import corpus_en, corpus_ru
from tickets.demo.shape import DAY, HOUR, customer_delay, response_delay
from tickets.sanitize import preview

CORPORA = {"ru": corpus_ru, "en": corpus_en}
LENGTHS = [1, 2, 3, 4, 5, 6]
LENGTH_WEIGHTS = [6, 30, 20, 24, 10, 10]
FEEDBACK_LENGTH_WEIGHTS = [45, 40, 10, 5, 0, 0]
AUTO_CLOSE = 3 * DAY


@dataclass(frozen=True)
class Agent:
    id: int
    username: str
    first_name: str


@dataclass
class Plan:
    """Everything needed to write one ticket; messages and events refer to each other by index."""

    subject: str = ""
    status: str = "new"
    priority: str = "normal"
    assignee: Agent | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    first_customer_message_at: float | None = None
    last_customer_message_at: float | None = None
    first_response_at: float | None = None
    last_agent_message_at: float | None = None
    solved_at: float | None = None
    closed_at: float | None = None
    reopen_count: int = 0
    agent_reply_count: int = 0
    last_message_preview: str = ""
    # (direction, author_kind, author_id, is_internal, text, delivery_status, time)
    messages: list[tuple] = field(default_factory=list)
    # (kind, actor_id, actor_label, data, time, message index or -1)
    events: list[tuple] = field(default_factory=list)


class _Life:
    def __init__(self, plan: Plan, now: float, email: bool, rng):
        self.p = plan
        self.now = now
        self.email = email
        self.rng = rng

    def customer(self, t: float, text: str) -> None:
        p = self.p
        p.messages.append(("in", "customer", None, False, text, "received", t))
        if len(p.messages) == 1:
            p.events.append(("created", None, "customer", {}, t, -1))
        elif p.status == "solved":
            p.status = "open"
            p.reopen_count += 1
            p.solved_at = None
            p.events.append(("reopened", None, "customer", {"from": "solved"}, t, -1))
        elif p.status in ("pending", "on_hold"):
            p.events.append(
                ("status_changed", None, "customer", {"from": p.status, "to": "open"}, t, -1)
            )
            p.status = "open"
        if p.first_customer_message_at is None:
            p.first_customer_message_at = t
        p.last_customer_message_at = t
        p.last_message_preview = preview(text)
        p.updated_at = t

    def _outbound_status(self, t: float) -> str:
        age = self.now - t
        roll = self.rng.random()
        if age < 60:
            return "sent"
        if self.email:
            return "delivered" if roll < 0.85 else "sent"
        if age > HOUR:
            return "read" if roll < 0.8 else ("delivered" if roll < 0.97 else "sent")
        return "read" if roll < 0.5 else ("delivered" if roll < 0.9 else "sent")

    def reply(self, t: float, agent: Agent, text: str) -> None:
        p = self.p
        idx = len(p.messages)
        p.messages.append(("out", "agent", agent.id, False, text, self._outbound_status(t), t))
        p.agent_reply_count += 1
        if p.first_response_at is None:
            p.first_response_at = t
        p.last_agent_message_at = t
        p.last_message_preview = preview(text)
        if p.status == "new":
            p.status = "open"
        if p.assignee is None:
            p.assignee = agent
            p.events.append(("assigned", agent.id, agent.username, {"to": agent.id}, t, -1))
        p.updated_at = t
        p.events.append(("replied", agent.id, agent.username, {}, t, idx))

    def note(self, t: float, agent: Agent, text: str) -> None:
        p = self.p
        idx = len(p.messages)
        p.messages.append(("out", "agent", agent.id, True, text, "not_sent", t))
        p.updated_at = t
        p.events.append(("note_added", agent.id, agent.username, {}, t, idx))

    def set_status(self, t: float, status: str, agent: Agent | None) -> None:
        p = self.p
        previous = p.status
        if previous == status:
            return
        p.status = status
        if status == "solved":
            p.solved_at = t
        elif previous == "solved" and status != "closed":
            # Closing a solved ticket is not a reopen: solved_at keeps the time of the solve.
            p.solved_at = None
            p.reopen_count += 1
        if status == "closed":
            p.closed_at = t
            p.solved_at = p.solved_at or t
        p.updated_at = t
        actor, label = (agent.id, agent.username) if agent else (None, "system")
        p.events.append(("status_changed", actor, label, {"from": previous, "to": status}, t, -1))

    def assign(self, t: float, agent: Agent) -> None:
        p = self.p
        if p.assignee is None:
            p.assignee = agent
            p.updated_at = t
            data = {"from": None, "to": agent.id}
            p.events.append(("assigned", agent.id, agent.username, data, t, -1))


def _script(rng, topic: str) -> list[str]:
    weights = FEEDBACK_LENGTH_WEIGHTS if topic == "feedback" else LENGTH_WEIGHTS
    length = rng.choices(LENGTHS, weights)[0]
    steps = ["c"]
    while len(steps) < length:
        if steps[-1] == "c":
            follow_up = len(steps) == 1 and length >= 3 and rng.random() < 0.15
            steps.append("c" if follow_up else "a")
        else:
            steps.append("c")
    if length >= 3 and rng.random() < 0.15:
        steps.insert(rng.randint(1, len(steps) - 1), "n")
        steps.pop()
    return steps


def simulate(
    rng,
    *,
    t0: float,
    now: float,
    topic: str,
    lang: str,
    priority: str,
    agents: list[Agent],
    customer_first: str,
    email: bool,
) -> Plan:
    texts = CORPORA[lang]
    agent = rng.choice(agents)
    days = rng.randint(2, 7)
    values = {
        "order": f"#{rng.randint(100000, 999999)}",
        "amount": rng.randint(500, 30000) if lang == "ru" else rng.randint(10, 400),
        "days": days,
        "ndays": f"{days} дня" if days < 5 else f"{days} дней",
        "name": customer_first,
        "agent": agent.first_name,
    }
    plan = Plan(priority=priority, created_at=t0, updated_at=t0)
    life = _Life(plan, now, email, rng)
    steps = _script(rng, topic)
    # A reply after which the agent solves and the customer writes again (a reopen).
    reopen_at = -1
    if len(steps) >= 4 and rng.random() < 0.12:
        candidates = [
            i for i in range(1, len(steps) - 1) if steps[i] == "a" and steps[i + 1] == "c"
        ]
        reopen_at = rng.choice(candidates) if candidates else -1

    t = t0
    last_customer_t = t0
    completed = True
    agent_replied = False
    for i, step in enumerate(steps):
        if i == 0:
            pass
        elif step == "c":
            t += rng.uniform(40, 600) if steps[i - 1] == "c" else customer_delay(rng)
        elif step == "a":
            t = max(t, last_customer_t + response_delay(rng, last_customer_t, priority))
        else:
            t += rng.uniform(120, 3600)
        if t > now:
            completed = False
            break
        if step == "c":
            if i == 0:
                text = rng.choice(texts.OPENERS[topic])
            elif steps[i - 1] == "c":
                text = rng.choice(texts.FOLLOW_UPS)
            elif i == len(steps) - 1 and rng.random() < 0.85:
                text = rng.choice(texts.THANKS)
            else:
                text = rng.choice(texts.CUSTOMER_MORE)
            life.customer(t, text.format(**values))
            last_customer_t = t
        elif step == "a":
            pool = texts.AGENT_MORE if agent_replied else texts.AGENT_FIRST[topic]
            life.reply(t, agent, rng.choice(pool).format(**values))
            agent_replied = True
            if i == reopen_at:
                t += rng.uniform(300, 4 * HOUR)
                if t <= now:
                    life.set_status(t, "solved", agent)
            elif i < len(steps) - 1 and rng.random() < 0.4:
                t += rng.uniform(5, 60)
                waiting = "on_hold" if topic == "technical" and rng.random() < 0.4 else "pending"
                life.set_status(t, waiting, agent)
        else:
            author = rng.choice(agents)
            life.note(t, author, rng.choice(texts.NOTES).format(**values))

    if completed and rng.random() > 0.03:
        if plan.agent_reply_count:
            delay = rng.uniform(60, 6 * HOUR)
        else:
            delay = response_delay(rng, t, priority)
        solve_t = t + delay
        if solve_t <= now:
            life.assign(solve_t, agent)
            life.set_status(solve_t, "solved", agent)
            close_t = solve_t + AUTO_CLOSE + rng.uniform(0, 2 * HOUR)
            if close_t <= now:
                life.set_status(close_t, "closed", None)

    # Unsolved after the agent spoke last: mostly waiting for the customer.
    answered = plan.last_agent_message_at or 0.0
    if plan.status == "open" and answered >= (plan.last_customer_message_at or 0.0):
        wait_t = plan.updated_at + rng.uniform(5, 120)
        if wait_t <= now and rng.random() < 0.7:
            waiting = "on_hold" if topic == "technical" and rng.random() < 0.4 else "pending"
            life.set_status(wait_t, waiting, plan.assignee or agent)

    first_text = plan.messages[0][4]
    if email:
        plan.subject = texts.SUBJECTS[topic].format(**values)
    else:
        plan.subject = preview(first_text, 120)
    return plan
