"""The period and filters every metric takes, parsed from a query string.

A period is half-open: `start <= t < end`. Filters narrow tickets by channel, team, agent
(the assignee), tag and priority. Merged tickets (closed into another) never count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tickets.models import Priority, Ticket

PERIODS = ["today", "7d", "30d", "quarter", "custom"]
DEFAULT_PERIOD = "30d"


@dataclass(frozen=True)
class MetricFilter:
    start: datetime
    end: datetime
    channel: int | None = None
    team: int | None = None
    agent: int | None = None
    tag: int | None = None
    priority: str | None = None

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> MetricFilter:
        """The period of the same length right before this one, same filters."""
        return replace(self, start=self.start - self.length, end=self.start)

    def shifted(self, start: datetime, end: datetime) -> MetricFilter:
        return replace(self, start=start, end=end)

    def ticket_q(self, prefix: str = "") -> Q:
        """Dimension filters (not the period) on tickets, optionally through a relation."""
        q = Q(**{f"{prefix}merged_into__isnull": True})
        if self.channel:
            q &= Q(**{f"{prefix}channel_id": self.channel})
        if self.team:
            q &= Q(**{f"{prefix}team_id": self.team})
        if self.agent:
            q &= Q(**{f"{prefix}assignee_id": self.agent})
        if self.priority:
            q &= Q(**{f"{prefix}priority": self.priority})
        if self.tag:
            through = Ticket.tags.through
            ref = OuterRef(f"{prefix}pk" if prefix else "pk")
            q &= Q(Exists(through.objects.filter(ticket_id=ref, tag_id=self.tag)))
        return q

    def related_ticket_q(self, relation: str = "ticket") -> Q:
        """`ticket_q` on rows related to a ticket (`relation`: the foreign key). Without
        dimension filters only "not merged" is left, written as "not one of the merged
        tickets" (few, by an index) so the tickets table is not joined."""
        if any((self.channel, self.team, self.agent, self.priority, self.tag)):
            return self.ticket_q(f"{relation}__")
        merged = Ticket.objects.filter(merged_into__isnull=False).values("pk")
        return ~Q(**{f"{relation}__in": merged})

    def tickets(self) -> QuerySet[Ticket]:
        return Ticket.objects.filter(self.ticket_q())

    def in_period(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})

    def as_query(self) -> dict[str, str]:
        """Filters as queue URL parameters (the queue's own names)."""
        out = {}
        for name, key in (("channel", "channel"), ("team", "team"), ("agent", "assignee")):
            value = getattr(self, name)
            if value:
                out[key] = str(value)
        if self.tag:
            out["tag"] = str(self.tag)
        if self.priority:
            out["priority"] = self.priority
        return out


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _moment(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    dt = parse_datetime(value)
    if dt is None:
        day = parse_date(value)
        if day is None:
            return None
        dt = datetime.combine(day + timedelta(days=1) if end else day, time())
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt


def period_bounds(period: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or timezone.now()
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "today":
        return midnight, midnight + timedelta(days=1)
    if period == "7d":
        return midnight - timedelta(days=6), midnight + timedelta(days=1)
    if period == "quarter":
        return midnight - timedelta(days=89), midnight + timedelta(days=1)
    return midnight - timedelta(days=29), midnight + timedelta(days=1)


def filter_from_query(query, now: datetime | None = None) -> tuple[MetricFilter, str]:
    """Read `period` (or `from`/`to`, dates or datetimes, `to` inclusive for dates) and the
    dimension filters. Returns the filter and the period name."""
    period = query.get("period") or ""
    start, end = _moment(query.get("from")), _moment(query.get("to"), end=True)
    if start and end and start < end:
        period = "custom"
    else:
        if period not in PERIODS or period == "custom":
            period = DEFAULT_PERIOD
        start, end = period_bounds(period, now)
    priority = query.get("priority") or None
    if priority not in Priority.values:
        priority = None
    return (
        MetricFilter(
            start=start,
            end=end,
            channel=_int(query.get("channel")),
            team=_int(query.get("team")),
            agent=_int(query.get("agent")),
            tag=_int(query.get("tag")),
            priority=priority,
        ),
        period,
    )
