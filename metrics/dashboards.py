"""What each dashboard shows: number cards, chart data and tables, built from selectors.

One function per page returns plain data (`Page`), rendered as HTML by views, as JSON by
`/api/metrics/<page>/` and as CSV per table. No metric is computed here or in templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from metrics import formatting as fmt
from metrics.filters import MetricFilter
from metrics.models import MetricsSettings
from metrics.selectors import distribution, load, planning, sla, volume
from metrics.selectors.common import change, response_scope
from metrics.selectors.responsiveness import metric_frt_business_mean, work_tracked
from metrics.selectors.summary import DIRECTION, ticket_figures
from tickets.models import ACTIVE_STATUSES, Status

ALL_STATUSES = [s.value for s in Status]

# Reference values (DESIGN.md): best / average / poor.
REFERENCES = {
    "frt": (10 * 60, 24 * 60, 40 * 60),
    "csat": (0.90, 0.75, 0.50),
    "repeat_contact": (0.03, 0.10, 0.20),
}


@dataclass
class Card:
    key: str
    label: str
    value: str
    raw: float | None = None
    previous: float | None = None
    sub: str = ""
    link: str = ""
    reference: str = ""

    @property
    def change(self) -> float | None:
        return change(self.raw, self.previous)

    @property
    def good(self) -> bool | None:
        c, d = self.change, DIRECTION.get(self.key, 0)
        if not c or not d:
            return None
        return (c > 0) == (d > 0)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "raw": self.raw,
            "previous": self.previous,
            "change": self.change,
            "good": self.good,
            "sub": self.sub,
            "link": self.link,
            "reference": self.reference,
        }


@dataclass
class Table:
    name: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict]
    links: dict[int, str] = field(default_factory=dict)  # row index -> queue URL

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "columns": self.columns, "rows": self.rows}


@dataclass
class Page:
    key: str
    title: str
    cards: list[Card] = field(default_factory=list)
    charts: dict = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def as_dict(self) -> dict:
        return {
            "page": self.key,
            "cards": [c.as_dict() for c in self.cards],
            "charts": self.charts,
            "tables": [t.as_dict() for t in self.tables],
        }


def queue_url(f: MetricFilter | None, *, created: bool = True, **params) -> str:
    """The queue filtered to the tickets behind a number (as close as its filters allow)."""
    query: list[tuple[str, str]] = [("view", "all")]
    if f is not None:
        query += list(f.as_query().items())
        if created:
            query += [
                ("created_after", f.start.isoformat()),
                ("created_before", f.end.isoformat()),
            ]
    for key, value in params.items():
        for v in value if isinstance(value, list | tuple) else [value]:
            query.append((key, str(v)))
    return reverse("queue") + "?" + urlencode(query)


def _ref(key: str, kind: str) -> str:
    best, avg, poor = REFERENCES[key]
    if kind == "duration":
        vals = [fmt.duration(v) for v in (best, avg, poor)]
    else:
        vals = [fmt.percent(v, 0) for v in (best, avg, poor)]
    return _("reference: best %(b)s · average %(a)s · poor %(p)s") % {
        "b": vals[0],
        "a": vals[1],
        "p": vals[2],
    }


def _pct(rate) -> float | None:
    return rate.value


# --- SLA ------------------------------------------------------------------------------------


@response_scope()
def page_sla(f: MetricFilter) -> Page:
    p = Page("sla", _("SLA"))
    cur, prev = sla.metric_sla(f), sla.metric_sla(f.previous())
    backlog = volume.metric_backlog_now(f)
    p.cards = [
        Card(
            "sla_compliance",
            _("SLA compliance"),
            fmt.percent(cur.compliance),
            cur.compliance,
            prev.compliance,
            sub=_("%(b)s of %(n)s targets breached") % {"b": cur.breached, "n": cur.decided},
            link=queue_url(f),
        ),
        Card(
            "frtr",
            _("First-response breaches (FRTR)"),
            fmt.percent(cur.first_response.value),
            cur.first_response.value,
            prev.first_response.value,
            sub=f"{cur.first_response.numerator} / {cur.first_response.denominator}",
        ),
        Card(
            "artr",
            _("Resolution breaches (ARTR)"),
            fmt.percent(cur.resolution.value),
            cur.resolution.value,
            prev.resolution.value,
            sub=f"{cur.resolution.numerator} / {cur.resolution.denominator}",
        ),
        Card(
            "backlog",
            _("Backlog now"),
            fmt.number(backlog.total),
            backlog.total,
            link=queue_url(f, created=False, status=[s.value for s in ACTIVE_STATUSES]),
        ),
        Card(
            "overdue",
            _("Overdue now"),
            fmt.number(backlog.overdue),
            backlog.overdue,
            link=reverse("queue") + "?view=overdue",
        ),
    ]
    series = volume.metric_backlog_series(f)
    p.charts["backlog"] = {
        "type": "line",
        "labels": [timezone.localtime(b.at).strftime("%d.%m") for b in series],
        "datasets": [
            {"label": _("Backlog"), "data": [b.total for b in series]},
            {"label": _("Overdue"), "data": [b.overdue for b in series]},
        ],
    }
    for by, title in (
        ("team", _("Breaches by team")),
        ("channel", _("Breaches by channel")),
        ("priority", _("Breaches by priority")),
    ):
        rows = sla.metric_sla_breakdown(f, by)
        t = Table(
            f"breaches_{by}",
            title,
            [
                ("label", by.capitalize()),
                ("frt_breached", _("FR breached")),
                ("frt_total", _("FR decided")),
                ("frtr", "FRTR"),
                ("res_breached", _("Res. breached")),
                ("res_total", _("Res. decided")),
                ("artr", "ARTR"),
            ],
            [
                {
                    "label": r.label,
                    "frt_breached": r.first_response.numerator,
                    "frt_total": r.first_response.denominator,
                    "frtr": fmt.percent(r.first_response.value),
                    "res_breached": r.resolution.numerator,
                    "res_total": r.resolution.denominator,
                    "artr": fmt.percent(r.resolution.value),
                }
                for r in rows
            ],
        )
        key = {"team": "team", "channel": "channel", "priority": "priority"}[by]
        t.links = {i: queue_url(f, **{key: r.key}) for i, r in enumerate(rows) if r.key}
        p.tables.append(t)
    overdue = list(sla.overdue_tickets(f))
    p.tables.append(
        Table(
            "overdue",
            _("Overdue tickets"),
            [
                ("id", "#"),
                ("subject", _("Subject")),
                ("customer", _("Customer")),
                ("channel", _("Channel")),
                ("assignee", _("Assignee")),
                ("age", _("Age")),
            ],
            [
                {
                    "id": t.pk,
                    "subject": t.subject,
                    "customer": str(t.customer),
                    "channel": t.channel.name,
                    "assignee": t.assignee.get_username() if t.assignee else "—",
                    "age": fmt.duration((timezone.now() - t.created_at).total_seconds()),
                }
                for t in overdue
            ],
            links={i: reverse("ticket", args=[t.pk]) for i, t in enumerate(overdue)},
        )
    )
    return p


# --- Operations -----------------------------------------------------------------------------


@response_scope()
def page_operations(f: MetricFilter) -> Page:
    p = Page("operations", _("Operations"))
    pf = f.previous()
    s = MetricsSettings.load()
    tracked = work_tracked()
    cur = ticket_figures(f, window_days=s.fcr_window_days, tracked=tracked)
    old = ticket_figures(pf, window_days=s.fcr_window_days, tracked=tracked)
    nst, nst_p = cur.nst, old.nst
    frt, frt_p = cur.frt, old.frt
    frt_b = metric_frt_business_mean(f)
    res, res_p = cur.resolution, old.resolution
    aht, aht_p = cur.aht, old.aht
    q, qp = cur.quality, old.quality
    rc, rc_p = cur.repeat, old.repeat
    ld = load.metric_agent_load(f)
    solved_link = queue_url(f, created=False, status=["solved", "closed"])
    p.cards = [
        Card(
            "nst",
            _("New tickets"),
            fmt.number(nst),
            nst,
            nst_p,
            link=queue_url(f, status=ALL_STATUSES),
        ),
        Card(
            "frt_mean",
            _("First response (AFRT)"),
            fmt.duration(frt.mean),
            frt.mean,
            frt_p.mean,
            sub=_("median %(m)s · p90 %(p)s · business hours %(b)s")
            % {
                "m": fmt.duration(frt.median),
                "p": fmt.duration(frt.p90),
                "b": fmt.duration(frt_b),
            },
            link=queue_url(f, status=ALL_STATUSES),
            reference=_ref("frt", "duration"),
        ),
        Card(
            "resolution_mean",
            _("Resolution time"),
            fmt.duration(res.mean),
            res.mean,
            res_p.mean,
            sub=_("median %(m)s") % {"m": fmt.duration(res.median)},
            link=solved_link,
        ),
        Card(
            "aht",
            _("Handling time (AHT)"),
            fmt.duration(aht.mean),
            aht.mean,
            aht_p.mean,
            sub=_("tracked by the workspace")
            if aht.source == "tracked"
            else _("estimated: %(n)s min per reply") % {"n": s.default_handle_minutes},
        ),
        Card(
            "fcr",
            _("First contact resolution"),
            fmt.percent(q.fcr_rate.value),
            q.fcr_rate.value,
            qp.fcr_rate.value,
            sub=_("one-touch %(o)s") % {"o": fmt.percent(q.one_touch_rate.value)},
            link=solved_link,
        ),
        Card(
            "reopen_rate",
            _("Reopen rate"),
            fmt.percent(q.reopen_rate.value),
            q.reopen_rate.value,
            qp.reopen_rate.value,
            sub=_("replies per ticket %(r)s") % {"r": fmt.number(q.replies_per_ticket, 2)},
        ),
        Card(
            "repeat_contact",
            _("Repeat contacts"),
            fmt.percent(rc.value),
            rc.value,
            rc_p.value,
            reference=_ref("repeat_contact", "percent"),
        ),
        Card(
            "bot_containment",
            _("Bot containment"),
            fmt.percent(q.bot_containment.value),
            q.bot_containment.value,
            qp.bot_containment.value,
        ),
        Card(
            "load",
            _("Agent load"),
            fmt.percent(ld.value),
            ld.value,
            sub=_("%(a)s active / capacity %(c)s") % {"a": ld.active_assigned, "c": ld.capacity},
        ),
    ]
    # Volume per day, stacked by channel; AFRT per day.
    by_channel = distribution.metric_daily_by_channel(f)
    days = sorted({r["day"] for r in by_channel})
    channels = sorted({r["channel_name"] for r in by_channel})
    grid = {(r["day"], r["channel_name"]): r["created"] for r in by_channel}
    p.charts["volume"] = {
        "type": "bar",
        "stacked": True,
        "labels": [d.strftime("%d.%m") for d in days],
        "datasets": [
            {"label": ch, "data": [grid.get((d, ch), 0) for d in days]} for ch in channels
        ],
    }
    daily_frt = distribution.metric_daily_frt(f)
    p.charts["frt_daily"] = {
        "type": "line",
        "labels": [r["day"].strftime("%d.%m") for r in daily_frt],
        "datasets": [
            {
                "label": _("AFRT, min"),
                "data": [round((r["frt"] or 0) / 60, 1) for r in daily_frt],
            }
        ],
        "reference": [
            REFERENCES["frt"][0] / 60,
            REFERENCES["frt"][1] / 60,
            REFERENCES["frt"][2] / 60,
        ],
    }
    hist = distribution.metric_frt_histogram(f)
    p.charts["frt_histogram"] = {
        "type": "bar",
        "labels": [b.label for b in hist],
        "datasets": [{"label": _("Tickets"), "data": [b.count for b in hist]}],
    }
    p.extra["heatmap"] = distribution.metric_heatmap(f)
    agents = load.metric_agent_table(f)
    p.tables.append(
        Table(
            "agents",
            _("Agents"),
            [
                ("name", _("Agent")),
                ("active", _("Active")),
                ("capacity", _("Capacity")),
                ("load", _("Load")),
                ("solved", _("Solved")),
                ("replies", _("Replies")),
                ("frt", "AFRT"),
                ("aht", "AHT"),
                ("csat", "CSAT"),
            ],
            [
                {
                    "name": a.name,
                    "active": a.active,
                    "capacity": a.capacity,
                    "load": fmt.percent(a.load, 0),
                    "solved": a.solved,
                    "replies": a.replies,
                    "frt": fmt.duration(a.frt_mean),
                    "aht": fmt.duration(a.aht),
                    "csat": fmt.percent(a.csat.value, 0),
                }
                for a in agents
            ],
            links={
                i: queue_url(f, assignee=a.agent_id, status=ALL_STATUSES)
                for i, a in enumerate(agents)
            },
        )
    )
    for by, title, key in (
        ("channel", _("By channel"), "channel"),
        ("tag", _("By tag"), "tag"),
        ("team", _("By team"), "team"),
        ("priority", _("By priority"), "priority"),
    ):
        rows = distribution.metric_breakdown(f, by)
        p.tables.append(
            Table(
                f"by_{by}",
                title,
                [
                    ("label", by.capitalize()),
                    ("created", _("Created")),
                    ("answered", _("Answered")),
                    ("frt", "AFRT"),
                    ("solved", _("Solved")),
                ],
                [
                    {
                        "label": r.label,
                        "created": r.created,
                        "answered": r.answered,
                        "frt": fmt.duration(r.frt_mean),
                        "solved": r.solved,
                    }
                    for r in rows
                ],
                links={
                    i: queue_url(f, status=ALL_STATUSES, **{key: r.key})
                    for i, r in enumerate(rows)
                    if r.key is not None
                },
            )
        )
    return p


# --- Staffing -------------------------------------------------------------------------------


@response_scope()
def page_staffing(f: MetricFilter) -> Page:
    p = Page("staffing", _("Staffing"))
    st = planning.metric_staffing(f)
    now = timezone.localtime()
    now_needed = st.needed[now.weekday()][now.hour]
    p.cards = [
        Card(
            "needed_now",
            _("Agents needed this hour"),
            str(now_needed),
            now_needed,
            sub=_("forecast %(v)s tickets/h") % {"v": st.forecast[now.weekday()][now.hour]},
        ),
        Card(
            "online_now",
            _("Agents online now"),
            str(st.online_now),
            st.online_now,
            sub=_("short by %(n)s") % {"n": now_needed - st.online_now}
            if now_needed > st.online_now
            else _("enough"),
        ),
        Card("peak", _("Peak need"), str(st.peak_needed), st.peak_needed),
        Card(
            "aht_used",
            _("AHT used"),
            fmt.duration(st.aht_seconds),
            st.aht_seconds,
            sub={
                "tracked": _("tracked"),
                "estimated": _("estimated from replies"),
                "default": _("default"),
            }[st.aht_source],
        ),
    ]
    p.extra["staffing"] = st
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    p.extra["weekdays"] = weekdays
    p.tables.append(
        Table(
            "staffing",
            _("Forecast and agents needed per hour"),
            [
                ("weekday", _("Day")),
                ("hour", _("Hour")),
                ("forecast", _("Tickets/h")),
                ("needed", _("Agents needed")),
            ],
            [
                {
                    "weekday": weekdays[d],
                    "hour": h,
                    "forecast": st.forecast[d][h],
                    "needed": st.needed[d][h],
                }
                for d in range(7)
                for h in range(24)
            ],
        )
    )
    p.charts["staffing"] = {
        "type": "bar",
        "labels": [f"{h:02d}" for h in range(24)],
        "datasets": [{"label": weekdays[d], "data": st.needed[d]} for d in range(7)],
    }
    return p
