"""Agent load and the per-agent table."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Q, Sum

from metrics.filters import MetricFilter
from metrics.selectors.common import Rate, ratio
from metrics.selectors.responsiveness import FRT
from tickets.models import ACTIVE_STATUSES, AgentProfile, OnlineState, Ticket, WorkSession


@dataclass(frozen=True)
class AgentLoad:
    active_assigned: int
    capacity: int

    @property
    def value(self) -> float | None:
        return ratio(self.active_assigned, self.capacity)


def metric_agent_load(f: MetricFilter) -> AgentLoad:
    """Active tickets assigned to agents ÷ the agents' summed capacity (agents with a
    profile; the agent/team filters narrow both)."""
    profiles = AgentProfile.objects.all()
    if f.agent:
        profiles = profiles.filter(user_id=f.agent)
    if f.team:
        profiles = profiles.filter(teams=f.team)
    capacity = profiles.aggregate(c=Sum("capacity"))["c"] or 0
    active = (
        f.tickets()
        .filter(status__in=ACTIVE_STATUSES, assignee__isnull=False)
        .filter(assignee__agent__in=profiles)
        .count()
    )
    return AgentLoad(active, capacity)


def agents_online() -> int:
    return AgentProfile.objects.filter(online_state=OnlineState.ONLINE).count()


@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    name: str
    capacity: int
    active: int
    solved: int
    replies: int
    frt_mean: float | None
    handle_seconds: float
    handled: int
    csat: Rate

    @property
    def load(self) -> float | None:
        return ratio(self.active, self.capacity)

    @property
    def aht(self) -> float | None:
        v = ratio(self.handle_seconds, self.handled)
        return None if v is None else round(v, 1)


def _ticket_rows(f: MetricFilter, g: MetricFilter, base) -> dict:
    """{assignee: {active, solved, replies, frt}} of the assignees with a ticket active now,
    created in the period or solved in it. Without a tag filter the period's figures come
    from the daily rollups (per assignee) and only the active tickets are read; with one,
    from the raw rows. Both give the same figures."""
    from metrics import rollup

    in_period = g.in_period("created_at") | g.in_period("solved_at")
    if not rollup.supports(f):
        tickets = (
            base.filter(Q(status__in=ACTIVE_STATUSES) | in_period)
            .values("assignee_id")
            .annotate(
                active=Count("pk", filter=Q(status__in=ACTIVE_STATUSES)),
                solved=Count("pk", filter=g.in_period("solved_at")),
                replies=Sum("agent_reply_count", filter=g.in_period("solved_at")),
                frt=Avg(FRT, filter=g.in_period("created_at") & Q(first_response_at__isnull=False)),
            )
            .order_by()
        )
        return {r["assignee_id"]: r for r in tickets}
    from metrics.models import MetricsSettings

    out: dict = {}
    active = base.filter(status__in=ACTIVE_STATUSES).values("assignee_id").annotate(n=Count("pk"))
    for r in active.order_by():
        out[r["assignee_id"]] = {"active": r["n"], "solved": 0, "replies": 0, "frt": None}
    sums = rollup.grouped_sums(
        f,
        window_days=MetricsSettings.load().fcr_window_days,
        by=("assignee_id",),
        fields=("created", "solved", "replies", "answered", "frt_sum"),
    )
    for (agent_id,), v in sums.items():
        if agent_id is None or not (v["created"] or v["solved"]):
            continue
        row = out.setdefault(agent_id, {"active": 0, "solved": 0, "replies": 0, "frt": None})
        row["solved"], row["replies"] = v["solved"], v["replies"]
        # Avg(FRT) of the answered tickets: FRT is null unless both moments are set.
        row["frt"] = v["frt_sum"] / v["answered"] if v["answered"] else None
    return out


def metric_agent_table(f: MetricFilter) -> list[AgentRow]:
    """Per assignee: active now, solved and FRT in the period, work time, CSAT. Agents with
    a ticket active now, created or solved in the period, work or a CSAT answer in it.

    Grouped aggregates (tickets or rollups, work sessions, survey answers, profiles),
    merged by id.
    """
    from metrics.models import SurveyKind, SurveyResponse

    g = replace(f, agent=None)
    base = g.tickets().filter(assignee__isnull=False)
    if f.agent:
        base = base.filter(assignee_id=f.agent)
    rows = _ticket_rows(f, g, base)
    work_q = g.in_period("ended_at") & g.related_ticket_q()
    if f.agent:
        work_q &= Q(agent_id=f.agent)
    work = {
        r["agent_id"]: r
        for r in WorkSession.objects.filter(work_q)
        .values("agent_id")
        .annotate(s=Sum("seconds"), n=Count("ticket_id", distinct=True))
        .order_by()
    }
    csat_q = g.in_period("created_at") & g.related_ticket_q() & Q(kind=SurveyKind.CSAT)
    if f.agent:
        csat_q &= Q(agent_id=f.agent)
    csat = {
        r["agent_id"]: r
        for r in SurveyResponse.objects.filter(csat_q)
        .values("agent_id")
        .annotate(n=Count("pk"), good=Count("pk", filter=Q(score__gte=4)))
        .order_by()
    }
    ids = set(rows) | set(work) | set(csat)
    ids.discard(None)
    users = get_user_model().objects.filter(pk__in=ids).select_related("agent")
    out = []
    for user in users:
        t = rows.get(user.pk, {})
        w = work.get(user.pk, {})
        c = csat.get(user.pk, {})
        profile = getattr(user, "agent", None)
        out.append(
            AgentRow(
                agent_id=user.pk,
                name=user.get_full_name() or user.get_username(),
                capacity=profile.capacity if profile else 0,
                active=t.get("active", 0),
                solved=t.get("solved", 0),
                replies=t.get("replies") or 0,
                frt_mean=None if t.get("frt") is None else round(t["frt"], 1),
                handle_seconds=float(w.get("s") or 0),
                handled=w.get("n", 0),
                csat=Rate(c.get("good", 0), c.get("n", 0)),
            )
        )
    out.sort(key=lambda r: (-r.solved, r.name))
    return out


def assigned_active(agent_id: int) -> int:
    return Ticket.objects.filter(assignee_id=agent_id, status__in=ACTIVE_STATUSES).count()
