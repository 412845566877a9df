"""Daily rollups for the summary: exact figures without a pass over every ticket.

Per UTC day: counts and sums per channel × team × assignee × priority (`DailyRollup`),
FRT and resolution times counted per value bucket (`DurationBucket`), and for repeat
contacts the days of each ticket's previous and second-previous ticket of the same customer
(`RepeatPair`). A day's rows are always computed from the raw rows by `rollup_rebuild`
(same expressions as the raw selectors), never patched: a ticket change only marks the
days it touches (`rollup_mark`, in the change's own transaction), and a marked day is read
from the raw rows until rebuilt. The summary therefore combines

- rollup rows of the whole UTC days of the period that are built and not marked, and
- raw aggregates over the rest (the partial days at the edges, marked or unbuilt days),

which are exactly the raw figures: counts and sums add up; medians and p90 are found by
rank: the bucket counts give the bucket holding the rank, and the values of that one
bucket are read from the raw rows (an expression index makes that a short range scan).

Repeat contact rate over P = [s, e): with k tickets of a customer in P, the customer adds
k to NST, k − 1 to "tickets in P whose previous ticket is ≥ s" (pairs) and max(k − 2, 0) to
"tickets in P whose second-previous ticket is ≥ s" (triples), so customers = NST − pairs
and customers with ≥ 2 tickets = pairs − triples.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, FloatField, Func, OuterRef, Q, Subquery, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from metrics.aggregates import Seconds, percentile_cont
from metrics.filters import MetricFilter
from metrics.models import (
    DailyRollup,
    DurationBucket,
    FactDay,
    HourRollup,
    MetricsSettings,
    RepeatPair,
    RollupDirty,
    RollupWatermark,
    SlaRollup,
    TicketFact,
)
from metrics.selectors.common import DurationStats, Rate, scoped
from metrics.selectors.quality import Resolution, bot_only_q, came_back_q
from metrics.selectors.responsiveness import FRT, RESOLUTION
from sla.models import ClockStatus, Metric, SlaClock
from tickets.models import Ticket


def _edges() -> list[int]:
    """Bucket lower bounds in seconds: every second below a minute, then ~3 % steps."""
    edges = list(range(60))
    v = 60.0
    while v < 20 * 365 * 86400:
        edges.append(int(v))
        v *= 1.03
    return sorted(set(edges))


EDGES = _edges()


def bucket_of(value: float) -> int:
    """Index of the bucket holding `value`: EDGES[i] <= value < EDGES[i + 1]; −1 below 0."""
    return bisect.bisect_right(EDGES, value) - 1


def bucket_range(b: int) -> tuple[float | None, float | None]:
    lo = None if b < 0 else EDGES[b]
    hi = EDGES[0] if b < 0 else (EDGES[b + 1] if b + 1 < len(EDGES) else None)
    return lo, hi


class WidthBucket(Func):
    """PostgreSQL: the bucket_of() index of an expression, in SQL."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        array = ",".join(str(e) for e in EDGES)
        return super().as_sql(
            compiler,
            connection,
            template=f"(width_bucket(%(expressions)s, ARRAY[{array}]::double precision[]) - 1)",
            **extra_context,
        )


def day_start(d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=UTC)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _ranges_q(field: str, ranges: list[tuple[datetime, datetime]]) -> Q:
    q = Q(pk__in=[])
    for a, b in ranges:
        q |= Q(**{f"{field}__gte": a, f"{field}__lt": b})
    return q


ANSWERED = Q(first_response_at__isnull=False, first_customer_message_at__isnull=False)
DIMS = ("channel_id", "team_id", "assignee_id", "priority")


def _bucket_counts(queryset, expression, day_field: str | None = None) -> dict:
    """{(day, bucket) or bucket: n} of the non-null `expression` over `queryset`."""
    qs = queryset.annotate(_v=expression).filter(_v__isnull=False)
    out: dict = defaultdict(int)
    if connection.vendor == "postgresql":
        keys = ["_b"] if day_field is None else ["_d", "_b"]
        if day_field:
            qs = qs.annotate(_d=TruncDate(day_field, tzinfo=UTC))
        rows = qs.annotate(_b=WidthBucket(F("_v"))).values(*keys).annotate(n=Count("pk"))
        for r in rows.order_by():
            b = int(r["_b"])
            out[b if day_field is None else (r["_d"], b)] += r["n"]
        return out
    if day_field is None:
        for v in qs.values_list("_v", flat=True):
            out[bucket_of(v)] += 1
        return out
    for v, d in qs.values_list("_v", day_field):
        out[(utc_day(d), bucket_of(v))] += 1
    return out


def _prev_created(step: int, *, after: bool = False) -> Subquery:
    """created_at of the customer's ticket `step` places before (or after) this one."""
    if after:
        order = Q(created_at__gt=OuterRef("created_at")) | Q(
            created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")
        )
        ordering = ("created_at", "pk")
    else:
        order = Q(created_at__lt=OuterRef("created_at")) | Q(
            created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")
        )
        ordering = ("-created_at", "-pk")
    qs = (
        Ticket.objects.filter(order, customer_id=OuterRef("customer_id"), merged_into__isnull=True)
        .order_by(*ordering)
        .values("created_at")[step - 1 : step]
    )
    return Subquery(qs)


# --- building -----------------------------------------------------------------------------


def _solved_aggregates(window_days: int) -> dict:
    one = Q(agent_reply_count=1)
    return {
        "solved": Count("pk"),
        "resolution_sum": Sum(RESOLUTION),
        "one_touch": Count("pk", filter=one),
        "fcr": Count("pk", filter=one & Q(reopen_count=0) & ~came_back_q(window_days)),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
        "bot_contained": Count("pk", filter=bot_only_q()),
        "replies": Sum("agent_reply_count"),
        "replied": Count("pk", filter=Q(agent_reply_count__gt=0)),
    }


def _created_aggregates() -> dict:
    # A subquery per ticket (by the facts' primary key), not a join: joined, the planner
    # hashes every fact for a partial day's few thousand tickets.
    frt_business = Subquery(
        TicketFact.objects.filter(pk=OuterRef("pk")).values("frt_business_seconds")[:1],
        output_field=FloatField(),
    )
    return {
        "created": Count("pk"),
        "answered": Count(FRT, filter=ANSWERED),
        "frt_sum": Sum(FRT, filter=ANSWERED),
        "responded": Count("pk", filter=Q(first_response_at__isnull=False)),
        "created_solved": Count("pk", filter=Q(solved_at__isnull=False)),
        "frt_business_n": Count(frt_business),
        "frt_business_sum": Sum(frt_business),
    }


# A clock written this shortly before a rebuild is left to the raw rows (a transaction that
# set its `updated_at` earlier may commit after the rebuild read the clocks).
SLA_SETTLE = timedelta(minutes=2)
SLA_METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)
DECIDED = (ClockStatus.MET, ClockStatus.BREACHED)
TICKET_DIMS = {d: f"ticket__{d}" for d in DIMS}


def _sla_rows(start: datetime, end: datetime, cutoff: datetime) -> list[SlaRollup]:
    clocks = SlaClock.objects.filter(
        ticket__merged_into__isnull=True,
        ticket__created_at__gte=start,
        ticket__created_at__lt=end,
        metric__in=SLA_METRICS,
        status__in=DECIDED,
        updated_at__lte=cutoff,
    )
    grouped = (
        clocks.annotate(_d=TruncDate("ticket__created_at", tzinfo=UTC))
        .values("_d", "metric", **{d: F(t) for d, t in TICKET_DIMS.items()})
        .annotate(decided=Count("pk"), breached=Count("pk", filter=Q(status=ClockStatus.BREACHED)))
        .order_by()
    )
    return [
        SlaRollup(
            day=r["_d"],
            metric=r["metric"],
            decided=r["decided"],
            breached=r["breached"],
            **{d: r[d] for d in DIMS},
        )
        for r in grouped
    ]


def _hour_rows(created) -> list[HourRollup]:
    grouped = (
        created.annotate(
            _d=TruncDate("created_at", tzinfo=UTC), _h=ExtractHour("created_at", tzinfo=UTC)
        )
        .values("_d", "_h", *DIMS)
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        HourRollup(day=r["_d"], hour=r["_h"], created=r["n"], **{d: r[d] for d in DIMS})
        for r in grouped
    ]


def rollup_rebuild(
    d_from: date,
    d_to: date,
    *,
    window_days: int | None = None,
    clocks_until: datetime | None = None,
) -> int:
    """Recompute the rollup rows of the UTC days d_from..d_to (inclusive) from the raw rows
    and clear the marks on those days that were committed before the recompute read them.
    Returns the number of DailyRollup rows written."""
    if window_days is None:
        window_days = MetricsSettings.load().fcr_window_days
    start, end = day_start(d_from), day_start(d_to + timedelta(days=1))
    clocks_until = clocks_until or timezone.now() - SLA_SETTLE
    with transaction.atomic():
        # One rebuild at a time (two could interleave their delete and insert).
        MetricsSettings.load()
        MetricsSettings.objects.select_for_update().filter(pk=1).first()
        seen = list(
            RollupDirty.objects.filter(day_from__gte=d_from, day_to__lte=d_to).values_list(
                "pk", flat=True
            )
        )
        base = Ticket.objects.filter(merged_into__isnull=True)
        created = base.filter(created_at__gte=start, created_at__lt=end)
        solved = base.filter(solved_at__gte=start, solved_at__lt=end)
        rows: dict = {}

        def row(key):
            if key not in rows:
                rows[key] = DailyRollup(
                    day=key[0],
                    channel_id=key[1],
                    team_id=key[2],
                    assignee_id=key[3],
                    priority=key[4],
                )
            return rows[key]

        for field, qs, aggs in (
            ("created_at", created, _created_aggregates()),
            ("solved_at", solved, _solved_aggregates(window_days)),
        ):
            grouped = (
                qs.annotate(_d=TruncDate(field, tzinfo=UTC)).values("_d", *DIMS).annotate(**aggs)
            )
            for r in grouped.order_by():
                obj = row((r["_d"], *(r[k] for k in DIMS)))
                for name in aggs:
                    setattr(obj, name, r[name] or 0)
        buckets = []
        for kind, qs, expr, field in (
            ("frt", created.filter(ANSWERED), FRT, "created_at"),
            ("res", solved, RESOLUTION, "solved_at"),
        ):
            for (d, b), n in _bucket_counts(qs, expr, field).items():
                buckets.append(DurationBucket(day=d, kind=kind, bucket=b, n=n))
        pairs = []
        for step in (1, 2):
            grouped = (
                created.annotate(_p=_prev_created(step))
                .filter(_p__isnull=False)
                .annotate(_d=TruncDate("created_at", tzinfo=UTC), _pd=TruncDate("_p", tzinfo=UTC))
                .values("_d", "_pd")
                .annotate(n=Count("pk"))
                .order_by()
            )
            for r in grouped:
                pairs.append(RepeatPair(day=r["_d"], prev_day=r["_pd"], step=step, n=r["n"]))
        sla_rows = _sla_rows(start, end, clocks_until)
        hour_rows = _hour_rows(created)
        days = [d_from + timedelta(days=i) for i in range((d_to - d_from).days + 1)]
        for model in (DailyRollup, DurationBucket, RepeatPair, SlaRollup, HourRollup):
            model.objects.filter(day__gte=d_from, day__lte=d_to).delete()
        DailyRollup.objects.bulk_create(rows.values(), batch_size=2000)
        DurationBucket.objects.bulk_create(buckets, batch_size=2000)
        RepeatPair.objects.bulk_create(pairs, batch_size=2000)
        SlaRollup.objects.bulk_create(sla_rows, batch_size=2000)
        HourRollup.objects.bulk_create(hour_rows, batch_size=2000)
        FactDay.objects.filter(day__in=days).delete()
        FactDay.objects.bulk_create(
            [FactDay(day=d, fcr_window_days=window_days, clocks_until=clocks_until) for d in days]
        )
        RollupDirty.objects.filter(pk__in=seen).delete()
    return len(rows)


def rollup_mark(d_from: date | datetime | None, d_to: date | datetime | None = None) -> None:
    """Mark the days d_from..d_to (dates or moments; one moment: its day) as changed."""
    if d_from is None and d_to is None:
        return
    d_from = d_from or d_to
    d_to = d_to or d_from
    if isinstance(d_from, datetime):
        d_from = utc_day(d_from)
    if isinstance(d_to, datetime):
        d_to = utc_day(d_to)
    if d_from > d_to:
        d_from, d_to = d_to, d_from
    if FactDay.objects.filter(day__gte=d_from, day__lte=d_to).exists():
        RollupDirty.objects.create(day_from=d_from, day_to=d_to)


def rollup_refresh(*, until: date | None = None, limit_days: int = 400) -> int:
    """Rebuild the marked days and the unbuilt days up to yesterday (UTC), at most
    `limit_days` days back. For the nightly/periodic task."""
    until = until or utc_day(timezone.now()) - timedelta(days=1)
    first_ticket = Ticket.objects.order_by("created_at").values_list("created_at", flat=True)
    first = first_ticket.first()
    if first is None:
        return 0
    start = max(utc_day(first), until - timedelta(days=limit_days))
    window = MetricsSettings.load().fcr_window_days
    # Days built before the SLA and hourly rollups existed (no clocks_until) are rebuilt too.
    built = set(
        FactDay.objects.filter(
            day__gte=start, day__lte=until, fcr_window_days=window, clocks_until__isnull=False
        ).values_list("day", flat=True)
    )
    todo = {start + timedelta(days=i) for i in range((until - start).days + 1)} - built
    # Marks committed before this point: all their days (up to `until`) are rebuilt below,
    # after this read, so they can go; later marks stay.
    seen = []
    for pk, a, b in RollupDirty.objects.values_list("pk", "day_from", "day_to"):
        if b <= until:
            seen.append(pk)
        d = a
        while d <= min(b, until):
            todo.add(d)
            d += timedelta(days=1)
    # SLA clocks updated since the watermark (the sweep breaches them without a ticket
    # event): their tickets' days are rebuilt too, then the watermark moves.
    clocks_until = timezone.now() - SLA_SETTLE
    since = _watermark()
    if since is not None:
        changed = (
            SlaClock.objects.filter(updated_at__gt=since, updated_at__lte=clocks_until)
            .annotate(_d=TruncDate("ticket__created_at", tzinfo=UTC))
            .values_list("_d", flat=True)
            .distinct()
            .order_by()
        )
        todo |= {d for d in changed if start <= d <= until}
    days = sorted(todo)
    for d in days:
        rollup_rebuild(d, d, window_days=window, clocks_until=clocks_until)
    RollupDirty.objects.filter(pk__in=seen).delete()
    if since is None or since < clocks_until:
        RollupWatermark.objects.update_or_create(pk=1, defaults={"clocks_until": clocks_until})
    return len(days)


def _watermark_stored() -> datetime | None:
    return RollupWatermark.objects.filter(pk=1).values_list("clocks_until", flat=True).first()


def _watermark() -> datetime | None:
    """The stored watermark, or (none stored yet) the oldest day's clocks_until."""
    stored = _watermark_stored()
    if stored is not None:
        return stored
    oldest = FactDay.objects.filter(clocks_until__isnull=False).order_by("clocks_until")
    return oldest.values_list("clocks_until", flat=True).first()


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    clean: list[date]  # whole UTC days read from the rollups
    raw: list[tuple[datetime, datetime]]  # the rest of the period, read from the raw rows

    @property
    def clean_ranges(self) -> list[tuple[datetime, datetime]]:
        out: list[tuple[datetime, datetime]] = []
        for d in self.clean:
            a, b = day_start(d), day_start(d + timedelta(days=1))
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        return out


def plan(f: MetricFilter, window_days: int, *, full: bool = False) -> Plan:
    """Which whole days of the period the rollups serve. `full`: only days built with every
    rollup (SlaRollup, HourRollup, DailyRollup's created-cohort columns); days built before
    those existed have no `clocks_until` and still serve the summary's figures. The plan
    depends on the period only (not on the dimension filters): read once per response
    inside `response_scope()`."""
    key = ("rollup_plan", f.start, f.end, window_days, full)
    return scoped(key, lambda: _plan(f, window_days, full=full))


def _plan(f: MetricFilter, window_days: int, *, full: bool) -> Plan:
    first = utc_day(f.start)
    if day_start(first) < f.start:
        first += timedelta(days=1)
    last = utc_day(f.end)  # exclusive: the day holding `end` is partial (or starts at it)
    clean: list[date] = []
    if first < last:
        days = FactDay.objects.filter(day__gte=first, day__lt=last, fcr_window_days=window_days)
        if full:
            days = days.filter(clocks_until__isnull=False)
        built = set(days.values_list("day", flat=True))
        for a, b in RollupDirty.objects.filter(day_from__lt=last, day_to__gte=first).values_list(
            "day_from", "day_to"
        ):
            built = {d for d in built if not a <= d <= b}
        clean = sorted(built)
    raw: list[tuple[datetime, datetime]] = []
    cursor = f.start
    for d in clean:
        a = day_start(d)
        if cursor < a:
            raw.append((cursor, a))
        cursor = a + timedelta(days=1)
    if cursor < f.end:
        raw.append((cursor, f.end))
    return Plan(clean=clean, raw=raw)


def supports(f: MetricFilter) -> bool:
    """The rollups hold channel, team, assignee and priority; a tag filter needs raw rows."""
    return f.tag is None


def _has_dims(f: MetricFilter) -> bool:
    return any((f.channel, f.team, f.agent, f.priority))


def _rollup_rows(f: MetricFilter, days: list[date], model=DailyRollup):
    """Rollup rows (daily, SLA or hourly: they share the dimension columns) of `days`
    within the filter's channel, team, agent and priority."""
    qs = model.objects.filter(day__in=days)
    if f.channel:
        qs = qs.filter(channel_id=f.channel)
    if f.team:
        qs = qs.filter(team_id=f.team)
    if f.agent:
        qs = qs.filter(assignee_id=f.agent)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    return qs


SUMS = (
    "created",
    "answered",
    "frt_sum",
    "solved",
    "resolution_sum",
    "one_touch",
    "fcr",
    "reopened",
    "bot_contained",
    "replies",
    "replied",
    "responded",
    "created_solved",
    "frt_business_n",
    "frt_business_sum",
)


def _in_range(queryset, expression, lo, hi, name: str = "_v"):
    qs = queryset.annotate(**{name: expression}).filter(**{f"{name}__isnull": False})
    if lo is not None:
        qs = qs.filter(**{f"{name}__gte": lo})
    if hi is not None:
        qs = qs.filter(**{f"{name}__lt": hi})
    return list(qs.values_list(name, flat=True))


def _frt_values(queryset, lo, hi) -> list[float]:
    return _in_range(queryset, FRT, lo, hi)


def _resolution_values(queryset, lo, hi) -> list[float]:
    """Resolution times in [lo, hi) of `queryset` (tickets). On PostgreSQL from two
    indexed ranges: the recorded first solve (TicketFact.resolution_seconds) and, for
    tickets without one, solved_at − created_at; the same values RESOLUTION gives."""
    if connection.vendor != "postgresql":
        return _in_range(queryset, RESOLUTION, lo, hi)
    # Without a recorded first solve (no fact, or none in it): a subquery per ticket by the
    # facts' primary key, not an outer join, which the planner may answer by hashing every
    # fact for the bucket's few thousand tickets (0.34 s at 1M).
    first_solved = Subquery(
        TicketFact.objects.filter(pk=OuterRef("pk")).values("first_solved_at")[:1]
    )
    no_fact = queryset.annotate(_fs=first_solved).filter(_fs__isnull=True)
    values = _in_range(no_fact, Seconds("solved_at", "created_at"), lo, hi)
    values += _in_range(
        queryset.filter(metric_fact__first_solved_at__isnull=False),
        F("metric_fact__resolution_seconds"),
        lo,
        hi,
    )
    values += _in_range(
        queryset.filter(
            metric_fact__first_solved_at__isnull=False,
            metric_fact__resolution_seconds__isnull=True,
        ),
        RESOLUTION,
        lo,
        hi,
    )
    return values


def _percentiles(values_in, counts: dict[int, int], n: int) -> list[float | None]:
    """Median and p90 (percentile_cont) from the bucket counts and the raw values of only
    the buckets holding the needed ranks."""
    fetched: dict[int, list[float]] = {}

    def at_rank(rank: int) -> float:
        before = 0
        for b in sorted(counts):
            if rank < before + counts[b]:
                if b not in fetched:
                    fetched[b] = sorted(values_in(*bucket_range(b)))
                return float(fetched[b][rank - before])
            before += counts[b]
        raise ValueError("rank beyond the counted values")

    out = []
    for p in (0.5, 0.9):
        pos = p * (n - 1)
        lo, hi = int(pos // 1), -int(-pos // 1)
        if lo == hi:
            out.append(at_rank(lo))
        else:
            out.append(percentile_cont([at_rank(lo), at_rank(hi)], pos - lo))
    return out


def _stats(f, n, total, full_qs, expression, kind, days, raw_q, values_in) -> DurationStats:
    from metrics.aggregates import percentiles

    if not n:
        return DurationStats.of(0, None, None, None)
    mean = total / n
    if _has_dims(f):
        median, p90 = percentiles(full_qs, expression, (0.5, 0.9))
        return DurationStats.of(n, mean, median, p90)
    counts: dict[int, int] = defaultdict(int)
    if days:
        for r in (
            DurationBucket.objects.filter(kind=kind, day__in=days)
            .values("bucket")
            .annotate(n=Sum("n"))
            .order_by()
        ):
            counts[r["bucket"]] += r["n"]
    if raw_q is not None:
        for b, c in _bucket_counts(full_qs.filter(raw_q), expression).items():
            counts[b] += c
    median, p90 = _percentiles(lambda lo, hi: values_in(full_qs, lo, hi), counts, n)
    return DurationStats.of(n, mean, median, p90)


def _repeat(f: MetricFilter, p: Plan, nst: int) -> Rate:
    s = f.start
    base = Ticket.objects.filter(merged_into__isnull=True)
    inside = [0, 0]
    for i, step in enumerate((1, 2)):
        if p.clean:
            s_day = utc_day(s)
            aligned = day_start(s_day) == s
            qs = RepeatPair.objects.filter(day__in=p.clean, step=step)
            qs = qs.filter(prev_day__gte=s_day) if aligned else qs.filter(prev_day__gt=s_day)
            inside[i] += qs.aggregate(n=Sum("n"))["n"] or 0
            if not aligned:
                # Previous ticket in [s, next midnight), this one on a clean day.
                edge_end = day_start(s_day + timedelta(days=1))
                inside[i] += (
                    base.filter(created_at__gte=s, created_at__lt=edge_end)
                    .annotate(_n=_prev_created(step, after=True))
                    .filter(_ranges_q("_n", p.clean_ranges))
                    .count()
                )
        if p.raw:
            inside[i] += (
                base.filter(_ranges_q("created_at", p.raw))
                .annotate(_p=_prev_created(step))
                .filter(_p__gte=s)
                .count()
            )
    pairs, triples = inside
    return Rate(pairs - triples, nst - pairs)


@dataclass(frozen=True)
class FastFigures:
    nst: int
    frt: DurationStats
    resolution: DurationStats
    quality: Resolution
    replied: int  # solved tickets with an agent reply (estimated AHT's tickets)
    repeat: Rate


def fast_sums(
    f: MetricFilter, *, window_days: int, p: Plan | None = None, full: bool = False
) -> dict:
    """The DailyRollup sums (SUMS) over the period: rollup rows of its clean days plus raw
    aggregates over the rest; equal to the same aggregates over the raw rows."""
    p = p or plan(f, window_days, full=full)
    sums = dict.fromkeys(SUMS, 0)
    if p.clean:
        row = _rollup_rows(f, p.clean).aggregate(**{k: Sum(k) for k in SUMS})
        for k in SUMS:
            sums[k] += row[k] or 0
    if p.raw:
        row = f.tickets().filter(_ranges_q("created_at", p.raw)).aggregate(**_created_aggregates())
        for k, v in row.items():
            sums[k] += v or 0
        solved_raw = f.tickets().filter(_ranges_q("solved_at", p.raw))
        row = solved_raw.aggregate(**_solved_aggregates(window_days))
        for k, v in row.items():
            sums[k] += v or 0
    return sums


def fast_figures(f: MetricFilter, *, window_days: int) -> FastFigures:
    """The summary's ticket figures from rollups + raw edges; equal to the raw selectors."""
    p = plan(f, window_days)
    sums = fast_sums(f, window_days=window_days, p=p)
    created_raw_q = solved_raw_q = None
    if p.raw:
        created_raw_q = _ranges_q("created_at", p.raw)
        solved_raw_q = _ranges_q("solved_at", p.raw)
    frt_qs = f.tickets().filter(f.in_period("created_at")).filter(ANSWERED)
    solved_qs = f.tickets().filter(f.in_period("solved_at"))
    frt = _stats(
        f, sums["answered"], sums["frt_sum"], frt_qs, FRT, "frt", p.clean, created_raw_q,
        _frt_values,
    )  # fmt: skip
    res = _stats(
        f, sums["solved"], sums["resolution_sum"], solved_qs, RESOLUTION, "res", p.clean,
        solved_raw_q, _resolution_values,
    )  # fmt: skip
    quality = Resolution(
        solved=sums["solved"],
        one_touch=sums["one_touch"],
        fcr=sums["fcr"],
        reopened=sums["reopened"],
        bot_contained=sums["bot_contained"],
        agent_replies=sums["replies"],
    )
    if _has_dims(f):
        from metrics.selectors.quality import metric_repeat_contact

        repeat = metric_repeat_contact(f)
    else:
        repeat = _repeat(f, p, sums["created"])
    return FastFigures(
        nst=sums["created"],
        frt=frt,
        resolution=res,
        quality=quality,
        replied=sums["replied"],
        repeat=repeat,
    )


# --- SLA clocks ---------------------------------------------------------------------------

SLA_KEYS = {"team": "team_id", "channel": "channel_id", "priority": "priority"}


def _sla_counts(qs, by: str | None, n: str, b: str) -> dict:
    """{(key, metric): [decided, breached]} of grouped rows."""
    out: dict = defaultdict(lambda: [0, 0])
    fields = ["metric"] if by is None else ["_k", "metric"]
    for r in qs.values(*fields).annotate(n=n, b=b).order_by():
        c = out[(r.get("_k"), r["metric"])]
        c[0] += r["n"] or 0
        c[1] += r["b"] or 0
    return out


def sla_counts(f: MetricFilter, *, window_days: int, by: str | None = None) -> dict:
    """Decided and breached SLA clocks of the tickets created in the period, per metric (and
    per team, channel or priority with `by`): {(key, metric): [decided, breached]}.

    Clean days: SlaRollup rows (clocks last updated by the day's `clocks_until`) plus the
    raw clocks of the day's tickets updated after that; other days: the raw clocks. Exactly
    the raw counts, since every change of a clock moves its `updated_at` (the ticket's own
    changes mark its day, as for the other rollups)."""
    p = plan(f, window_days, full=True)
    settled: dict = defaultdict(list)  # clocks_until -> clean days
    raw_ranges = list(p.raw)
    if p.clean:
        for d, until in FactDay.objects.filter(day__in=p.clean).values_list("day", "clocks_until"):
            if until is None:
                raw_ranges.append((day_start(d), day_start(d + timedelta(days=1))))
            else:
                settled[until].append(d)
    out: dict = defaultdict(lambda: [0, 0])
    clean = [d for days in settled.values() for d in days]
    if clean:
        rows = _rollup_rows(f, clean, SlaRollup)
        if by is not None:
            rows = rows.annotate(_k=F(SLA_KEYS[by]))
        for k, v in _sla_counts(rows, by, Sum("decided"), Sum("breached")).items():
            out[k][0] += v[0]
            out[k][1] += v[1]
    base = SlaClock.objects.filter(f.ticket_q("ticket__"), metric__in=SLA_METRICS)
    base = base.filter(status__in=DECIDED)
    if by is not None:
        base = base.annotate(_k=F(f"ticket__{SLA_KEYS[by]}"))
    if raw_ranges:
        clocks = base.filter(_ranges_q("ticket__created_at", raw_ranges))
        breached = Count("pk", filter=Q(status=ClockStatus.BREACHED))
        for k, v in _sla_counts(clocks, by, Count("pk"), breached).items():
            out[k][0] += v[0]
            out[k][1] += v[1]
    if settled:
        # Clocks of the clean days updated after their day was built: all are after the
        # watermark and after the oldest clocks_until of these days (an index range).
        cutoff = {d: until for until, days in settled.items() for d in days}
        lowest = min(settled)
        mark = _watermark_stored()
        if mark is not None and mark > lowest:
            lowest = mark
        ranges = Plan(clean=sorted(cutoff), raw=[]).clean_ranges
        later = base.filter(_ranges_q("ticket__created_at", ranges), updated_at__gt=lowest)
        fields = ["ticket__created_at", "updated_at", "metric", "status"]
        if by is not None:
            fields.append("_k")
        for r in later.values(*fields):
            if r["updated_at"] > cutoff[utc_day(r["ticket__created_at"])]:
                c = out[(r.get("_k"), r["metric"])]
                c[0] += 1
                c[1] += r["status"] == ClockStatus.BREACHED
    return dict(out)


# --- grouped sums for the dashboard tables --------------------------------------------------

CREATED_SUMS = (
    "created",
    "answered",
    "frt_sum",
    "responded",
    "created_solved",
    "frt_business_n",
    "frt_business_sum",
)


def utc_days_local() -> bool:
    """The current time zone is UTC: local days are the rollups' UTC days."""
    tz = timezone.get_current_timezone()
    return tz is UTC or getattr(tz, "key", None) in ("UTC", "Etc/UTC")


def grouped_sums(
    f: MetricFilter, *, window_days: int, by: tuple[str, ...], fields: tuple[str, ...]
) -> dict:
    """DailyRollup `fields` summed per `by` (DIMS and/or "day", the UTC day of the field's
    cohort) over the period: {key tuple: {field: value}}; rollup rows of the clean days plus
    raw aggregates over the rest, so equal to the same aggregates over the raw rows."""
    p = plan(f, window_days, full=True)
    out: dict = defaultdict(lambda: dict.fromkeys(fields, 0))

    def add(rows, key_names):
        for r in rows:
            acc = out[tuple(r[k] for k in key_names)]
            for name in fields:
                if name in r:
                    acc[name] += r[name] or 0

    if p.clean:
        rows = _rollup_rows(f, p.clean).values(*by).annotate(**{k: Sum(k) for k in fields})
        add(rows.order_by(), by)
    if p.raw:
        created = [k for k in fields if k in CREATED_SUMS]
        solved = [k for k in fields if k not in CREATED_SUMS]
        for field, names, aggs in (
            ("created_at", created, _created_aggregates()),
            ("solved_at", solved, _solved_aggregates(window_days)),
        ):
            if not names:
                continue
            qs = f.tickets().filter(_ranges_q(field, p.raw))
            qs = qs.annotate(day=TruncDate(field, tzinfo=UTC))
            rows = qs.values(*by).annotate(**{k: aggs[k] for k in names}).order_by()
            add(rows, by)
    return dict(out)


def hour_counts(f: MetricFilter, *, window_days: int) -> dict | None:
    """Tickets created per UTC hour of the period: {(day, hour): n}; HourRollup rows of
    the clean days plus the raw rows of the rest."""
    p = plan(f, window_days, full=True)
    out: dict = defaultdict(int)
    if p.clean:
        rows = _rollup_rows(f, p.clean, HourRollup)
        for r in rows.values("day", "hour").annotate(n=Sum("created")).order_by():
            out[(r["day"], r["hour"])] += r["n"]
    if p.raw:
        qs = f.tickets().filter(_ranges_q("created_at", p.raw))
        qs = qs.annotate(
            _d=TruncDate("created_at", tzinfo=UTC), _h=ExtractHour("created_at", tzinfo=UTC)
        )
        for r in qs.values("_d", "_h").annotate(n=Count("pk")).order_by():
            out[(r["_d"], r["_h"])] += r["n"]
    return dict(out)


def frt_bins(f: MetricFilter, *, window_days: int, edges: list[float]) -> list[int] | None:
    """FRT counts per bin [edges[i], edges[i + 1]) (the last bin open-ended) over the
    tickets created in the period, from the FRT value buckets: a value bucket inside one
    bin counts whole; only the values of the buckets a bin edge cuts are read. None with
    dimension filters (DurationBucket has none)."""
    if _has_dims(f):
        return None
    p = plan(f, window_days)
    counts: dict[int, int] = defaultdict(int)
    if p.clean:
        rows = DurationBucket.objects.filter(kind="frt", day__in=p.clean)
        for r in rows.values("bucket").annotate(n=Sum("n")).order_by():
            counts[r["bucket"]] += r["n"]
    frt_qs = f.tickets().filter(f.in_period("created_at")).filter(ANSWERED)
    if p.raw:
        raw = frt_qs.filter(_ranges_q("created_at", p.raw))
        for b, c in _bucket_counts(raw, FRT).items():
            counts[b] += c
    out = [0] * len(edges)

    def bin_of(value: float) -> int | None:
        if value < edges[0]:
            return None
        return bisect.bisect_right(edges, value) - 1

    for b, n in counts.items():
        lo, hi = bucket_range(b)
        first = bin_of(lo) if lo is not None else None
        last = bin_of(hi - 1e-9) if hi is not None else len(edges) - 1
        if lo is not None and first == last and first is not None:
            out[first] += n
            continue
        for v in _frt_values(frt_qs, lo, hi):
            i = bin_of(v)
            if i is not None:
                out[i] += 1
    return out
