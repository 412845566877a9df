"""The quality and ROI dashboards: what customers think of the support, and what it earns.

Built like the other pages in `metrics.dashboards` (plain `Page` data from selectors).
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from metrics import formatting as fmt
from metrics.dashboards import (
    Card,
    Page,
    Table,
    _ref,
)
from metrics.filters import MetricFilter
from metrics.models import MetricsSettings
from metrics.selectors import planning, revenue, surveys
from metrics.selectors.summary import DIRECTION
from metrics.whatif import fit

# --- Quality --------------------------------------------------------------------------------


def page_quality(f: MetricFilter, whatif: dict | None = None) -> Page:
    p = Page("quality", _("Quality"))
    pf = f.previous()
    now, before = surveys.metric_scores(f), surveys.metric_scores(pf)
    csat, csat_p = now.csat, before.csat
    nps, nps_p = now.nps, before.nps
    ces, ces_p = now.ces, before.ces
    sent = surveys.metric_survey_sent(f)
    p.cards = [
        Card(
            "csat",
            "CSAT",
            fmt.percent(csat.value),
            csat.value,
            csat_p.value,
            sub=_("%(g)s of %(n)s answers 4–5") % {"g": csat.numerator, "n": csat.denominator},
            reference=_ref("csat", "percent"),
        ),
        Card(
            "nps",
            "NPS",
            fmt.number(nps.value, 1),
            nps.value,
            nps_p.value,
            sub=_("%(p)s promoters, %(d)s detractors of %(n)s")
            % {"p": nps.promoters, "d": nps.detractors, "n": nps.responses},
        ),
        Card(
            "ces",
            "CES",
            fmt.number(ces.mean, 2),
            ces.mean,
            ces_p.mean,
            sub=_("%(n)s answers, 1–7") % {"n": ces.responses},
        ),
        Card(
            "response_rate",
            _("Survey response rate"),
            fmt.percent(sent.response_rate),
            sent.response_rate,
            sub=_("%(a)s of %(s)s surveys") % {"a": sent.answered, "s": sent.sent},
        ),
    ]
    daily = surveys.metric_survey_daily(f)
    days = sorted({r["day"] for r in daily})
    by = {(r["day"], r["kind"]): r for r in daily}

    def series(kind, fn):
        return [fn(by[(d, kind)]) if (d, kind) in by else None for d in days]

    p.charts["surveys"] = {
        "type": "line",
        "labels": [d.strftime("%d.%m") for d in days],
        "datasets": [
            {
                "label": "CSAT %",
                "data": series("csat", lambda r: round(r["good"] * 100 / r["n"], 1)),
            },
            {
                "label": "NPS",
                "data": series(
                    "nps", lambda r: round((r["promoters"] - r["detractors"]) * 100 / r["n"], 1)
                ),
            },
            {"label": "CES ×10", "data": series("ces", lambda r: round(r["mean"] * 10, 1))},
        ],
    }
    comments = list(surveys.survey_comments(f))
    p.tables.append(
        Table(
            "comments",
            _("Comments"),
            [
                ("when", _("When")),
                ("kind", _("Survey")),
                ("score", _("Score")),
                ("comment", _("Comment")),
                ("customer", _("Customer")),
                ("agent", _("Agent")),
                ("channel", _("Channel")),
                ("ticket", _("Ticket")),
            ],
            [
                {
                    "when": timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                    "kind": r.kind.upper(),
                    "score": r.score,
                    "comment": r.comment,
                    "customer": str(r.customer),
                    "agent": r.agent.get_username() if r.agent else "—",
                    "channel": r.channel.name,
                    "ticket": r.ticket_id,
                }
                for r in comments
            ],
            links={i: reverse("ticket", args=[r.ticket_id]) for i, r in enumerate(comments)},
        )
    )
    bins = surveys.metric_frt_csat_bins(f, planning.WHATIF_EDGES)
    model = fit(bins)
    p.tables.append(
        Table(
            "frt_csat",
            _("CSAT by first response time"),
            [
                ("frt", _("First response")),
                ("answers", _("Answers")),
                ("csat", "CSAT"),
                ("fitted", _("Fitted")),
            ],
            [
                {
                    "frt": f"{b.low:g}–{b.high:g} min" if b.high else f"≥ {b.low:g} min",
                    "answers": b.answers,
                    "csat": fmt.percent(b.csat),
                    "fitted": fmt.percent(model.csat_at(b.middle)) if model else "—",
                }
                for b in bins
            ],
        )
    )
    p.extra["fit"] = model
    p.extra["whatif"] = whatif
    return p


# --- ROI ------------------------------------------------------------------------------------


def month_starts(end, months: int):
    local = timezone.localtime(end)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    out = [first]
    for _i in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return list(reversed(out))


def page_roi(f: MetricFilter) -> Page:
    p = Page("roi", _("ROI"))
    s = MetricsSettings.load()
    tracked = planning.work_tracked()
    report = planning.metric_roi(f, settings=s, tracked=tracked)
    prev = planning.metric_roi_result(f.previous(), settings=s, tracked=tracked)
    r = report.result
    cur = s.currency
    p.cards = [
        Card(
            "roi",
            "ROI",
            "—" if r.roi_percent is None else f"{r.roi_percent} %",
            None if r.roi_percent is None else float(r.roi_percent),
            None if prev.roi_percent is None else float(prev.roi_percent),
        ),
        Card(
            "revenue",
            _("Revenue after support"),
            fmt.money(r.revenue, cur),
            float(r.revenue),
            float(prev.revenue),
        ),
        Card(
            "costs",
            _("Support costs"),
            fmt.money(r.costs, cur),
            float(r.costs),
            float(prev.costs),
        ),
        Card(
            "savings",
            _("Automation savings"),
            fmt.money(r.automation_savings, cur),
            float(r.automation_savings),
            float(prev.automation_savings),
            sub=_("%(n)s bot-solved tickets × AHT") % {"n": report.inputs.bot_solved},
        ),
    ]
    DIRECTION.update({"roi": 1, "revenue": 1, "costs": -1, "savings": 1})
    rev = report.revenue
    ltv = revenue.metric_ltv()
    p.extra.update(report=report, revenue=rev, ltv=ltv)
    # Month-by-month trend over the last 6 months (to the period end).
    months = month_starts(f.end - timedelta(seconds=1), 6)
    trend = []
    for i, start in enumerate(months):
        end = months[i + 1] if i + 1 < len(months) else timezone.localtime(f.end)
        m = planning.metric_roi_result(f.shifted(start, end), settings=s, tracked=tracked)
        trend.append(
            {
                "month": start.strftime("%Y-%m"),
                "revenue": str(m.revenue),
                "costs": str(m.costs),
                "savings": str(m.automation_savings),
                "roi": "—" if m.roi_percent is None else str(m.roi_percent),
            }
        )
    p.charts["roi_trend"] = {
        "type": "bar",
        "labels": [t["month"] for t in trend],
        "datasets": [
            {"label": _("Revenue"), "data": [float(t["revenue"]) for t in trend]},
            {"label": _("Costs"), "data": [float(t["costs"]) for t in trend]},
            {"label": _("Automation savings"), "data": [float(t["savings"]) for t in trend]},
        ],
    }
    p.tables.append(
        Table(
            "roi_trend",
            _("Month by month"),
            [
                ("month", _("Month")),
                ("revenue", _("Revenue")),
                ("costs", _("Costs")),
                ("savings", _("Automation savings")),
                ("roi", "ROI %"),
            ],
            trend,
        )
    )
    top = revenue.top_customers()
    p.tables.append(
        Table(
            "customers",
            _("Top customers by revenue (LTV)"),
            [("customer", _("Customer")), ("orders", _("Orders")), ("revenue", _("Revenue"))],
            [
                {
                    "customer": t["customer__name"] or f"#{t['customer_id']}",
                    "orders": t["orders"],
                    "revenue": str(t["revenue"]),
                }
                for t in top
            ],
        )
    )
    return p
