"""The JSON Lines ticket format (docs/import.md): parsing and validation of one line.

Pure: no ORM. `parse_line` turns one line into a `TicketRecord` or raises `LineError`
with the reason shown in the import summary. Everything a line can get wrong is found
here, before anything is written, so a bad line never half-writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from django.utils.dateparse import parse_datetime

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
DONE_STATUSES = ("solved", "closed")
PRIORITIES = ("urgent", "high", "normal", "low")
DIRECTIONS = ("in", "out")
AUTHORS = ("customer", "agent", "bot")
REQUIRED = ("external_id", "channel", "customer", "status", "created_at")
MAX_TEXT = 1_000_000


class LineError(Exception):
    """The line cannot be imported; the message is the reason shown to the user."""


@dataclass(frozen=True)
class CustomerRecord:
    external_id: str
    name: str
    email: str
    phone: str


@dataclass(frozen=True)
class MessageRecord:
    direction: str
    author: str
    agent: str
    sent_at: datetime
    text: str
    internal: bool


@dataclass
class TicketRecord:
    line: int
    external_id: str
    channel: str
    customer: CustomerRecord
    subject: str
    priority: str
    tags: list[str]
    status: str
    created_at: datetime
    solved_at: datetime | None
    reopen_count: int
    team: str
    assignee: str
    messages: list[MessageRecord] = field(default_factory=list)
    handle_seconds: int | None = None
    csat: int | None = None
    channel_id: int | None = None  # set by the importer once the channel is resolved
    channel_kind: str = ""

    # Facts derived from the messages, the way the services record them live.
    @cached_property
    def first_customer_message_at(self) -> datetime | None:
        times = [m.sent_at for m in self.messages if m.author == "customer"]
        return min(times) if times else None

    @cached_property
    def last_customer_message_at(self) -> datetime | None:
        times = [m.sent_at for m in self.messages if m.author == "customer"]
        return max(times) if times else None

    @cached_property
    def first_response_at(self) -> datetime | None:
        """The first public reply by a human agent (bots and notes do not count)."""
        first_in = self.first_customer_message_at
        times = [
            m.sent_at
            for m in self.messages
            if m.author == "agent"
            and not m.internal
            and (first_in is None or m.sent_at >= first_in)
        ]
        return min(times) if times else None

    @cached_property
    def last_agent_message_at(self) -> datetime | None:
        times = [m.sent_at for m in self.messages if m.direction == "out" and not m.internal]
        return max(times) if times else None

    @cached_property
    def agent_reply_count(self) -> int:
        return sum(1 for m in self.messages if m.author == "agent" and not m.internal)

    @cached_property
    def last_activity_at(self) -> datetime:
        times = [self.created_at, *(m.sent_at for m in self.messages)]
        if self.solved_at:
            times.append(self.solved_at)
        return max(times)

    @cached_property
    def agents(self) -> set[str]:
        names = {m.agent for m in self.messages if m.agent}
        if self.assignee:
            names.add(self.assignee)
        return names


def _text(obj: dict, key: str, *, limit: int, where: str = "") -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LineError(f"{where}{key} must be a string")
    value = value.strip() if limit < MAX_TEXT else value
    if "\x00" in value:
        raise LineError(f"{where}{key} contains a NUL character")
    if len(value) > limit:
        raise LineError(f"{where}{key} is longer than {limit} characters")
    return value


def parse_timestamp(value, name: str) -> datetime:
    """ISO 8601; a time without an offset is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        raise LineError(f"{name} must be an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value)  # the fast path: what exports write
    except ValueError:
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise LineError(f"{name} is not a valid ISO 8601 timestamp: {value[:40]!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _int(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LineError(f"{name} must be a whole number")
    if not low <= value <= high:
        raise LineError(f"{name} must be between {low} and {high}")
    return value


def _customer(value) -> CustomerRecord:
    if not isinstance(value, dict):
        raise LineError("customer must be an object")
    where = "customer."
    record = CustomerRecord(
        external_id=_text(value, "external_id", limit=100, where=where),
        name=_text(value, "name", limit=200, where=where),
        email=_text(value, "email", limit=254, where=where).lower(),
        phone=_text(value, "phone", limit=40, where=where),
    )
    if not (record.external_id or record.email or record.phone):
        raise LineError("customer needs an external_id, email or phone")
    if record.email and ("@" not in record.email or " " in record.email):
        raise LineError(f"customer.email is not an email address: {record.email[:60]!r}")
    return record


def _message(value, index: int) -> MessageRecord:
    where = f"messages[{index}]."
    if not isinstance(value, dict):
        raise LineError(f"messages[{index}] must be an object")
    direction = value.get("direction")
    if direction not in DIRECTIONS:
        raise LineError(f"{where}direction must be one of {', '.join(DIRECTIONS)}")
    author = value.get("author")
    if author not in AUTHORS:
        raise LineError(f"{where}author must be one of {', '.join(AUTHORS)}")
    if (direction == "in") != (author == "customer"):
        raise LineError(f"{where}direction {direction!r} does not fit author {author!r}")
    internal = value.get("internal", False)
    if internal is None:
        internal = False
    if not isinstance(internal, bool):
        raise LineError(f"{where}internal must be true or false")
    if internal and author != "agent":
        raise LineError(f"{where}only an agent writes internal notes")
    agent = _text(value, "agent", limit=150, where=where)
    if agent and author != "agent":
        raise LineError(f"{where}agent is set on a {author} message")
    if "sent_at" not in value:
        raise LineError(f"{where}sent_at is missing")
    return MessageRecord(
        direction=direction,
        author=author,
        agent=agent,
        sent_at=parse_timestamp(value["sent_at"], f"{where}sent_at"),
        text=_text(value, "text", limit=MAX_TEXT, where=where),
        internal=internal,
    )


def parse_line(raw: str | bytes, line: int) -> TicketRecord:
    """One line of the file → a validated record (raises LineError)."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LineError(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise LineError("a line must be a JSON object")
    missing = [key for key in REQUIRED if data.get(key) in (None, "")]
    if missing:
        raise LineError(f"missing field: {', '.join(missing)}")
    external_id = data["external_id"]
    if isinstance(external_id, int) and not isinstance(external_id, bool):
        external_id = str(external_id)
    if not isinstance(external_id, str) or not external_id.strip():
        raise LineError("external_id must be a non-empty string")
    external_id = external_id.strip()
    if len(external_id) > 100:
        raise LineError("external_id is longer than 100 characters")
    status = data["status"]
    if status not in STATUSES:
        raise LineError(f"unknown status {str(status)[:20]!r}")
    priority = data.get("priority") or "normal"
    if priority not in PRIORITIES:
        raise LineError(f"unknown priority {str(priority)[:20]!r}")
    channel = data["channel"]
    if not isinstance(channel, str) or len(channel) > 150:
        raise LineError("channel must be a channel kind or name")
    created_at = parse_timestamp(data["created_at"], "created_at")
    solved_at = None
    if data.get("solved_at") not in (None, ""):
        solved_at = parse_timestamp(data["solved_at"], "solved_at")
    if status in DONE_STATUSES and solved_at is None:
        raise LineError(f"solved_at is missing for a {status} ticket")
    if status not in DONE_STATUSES and solved_at is not None:
        raise LineError(f"solved_at is set on a {status} ticket")
    if solved_at is not None and solved_at < created_at:
        raise LineError("solved_at is before created_at")
    reopened = data.get("reopened", 0)
    if reopened is None or reopened is False:
        reopen_count = 0
    elif reopened is True:
        reopen_count = 1
    else:
        reopen_count = _int(reopened, "reopened", 0, 10_000)
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise LineError("tags must be a list of strings")
    tags = sorted({t.strip() for t in tags if t.strip()})
    if any("\x00" in t for t in tags):
        raise LineError("a tag contains a NUL character")
    if any(len(t) > 60 for t in tags):
        raise LineError("a tag is longer than 60 characters")
    messages = data.get("messages") or []
    if not isinstance(messages, list):
        raise LineError("messages must be a list")
    parsed = [_message(m, i) for i, m in enumerate(messages)]
    parsed.sort(key=lambda m: m.sent_at)
    handle = data.get("handle_seconds")
    handle_seconds = None if handle in (None, 0) else _int(handle, "handle_seconds", 1, 10**7)
    csat = data.get("csat")
    csat = None if csat is None else _int(csat, "csat", 1, 5)
    record = TicketRecord(
        line=line,
        external_id=external_id,
        channel=channel.strip(),
        customer=_customer(data["customer"]),
        subject=_text(data, "subject", limit=255),
        priority=priority,
        tags=tags,
        status=status,
        created_at=created_at,
        solved_at=solved_at,
        reopen_count=reopen_count,
        team=_text(data, "team", limit=120),
        assignee=_text(data, "assignee", limit=150),
        messages=parsed,
        handle_seconds=handle_seconds,
        csat=csat,
    )
    if handle_seconds and not (record.assignee or any(m.agent for m in parsed)):
        raise LineError("handle_seconds needs an assignee or an agent login on a message")
    return record
