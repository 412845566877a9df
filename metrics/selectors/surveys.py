"""CSAT, NPS, CES from survey answers, their daily trend and the comments."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import TruncDate

from metrics.filters import MetricFilter
from metrics.models import SurveyKind, SurveyResponse
from metrics.selectors.common import Rate, ratio
from metrics.selectors.responsiveness import frt_seconds
from metrics.whatif import FrtBin


def responses(f: MetricFilter, kind: str | None = None):
    """Answers given in the period, for tickets matching the filters."""
    qs = SurveyResponse.objects.filter(f.in_period("created_at"), f.related_ticket_q())
    return qs.filter(kind=kind) if kind else qs


@dataclass(frozen=True)
class Nps:
    responses: int
    promoters: int
    detractors: int

    @property
    def value(self) -> float | None:
        """% promoters − % detractors, −100..100."""
        if not self.responses:
            return None
        return round((self.promoters - self.detractors) * 100 / self.responses, 1)


@dataclass(frozen=True)
class Ces:
    responses: int
    mean: float | None


def metric_csat(f: MetricFilter) -> Rate:
    """Answers 4 or 5 ÷ answers (1–5 scale)."""
    row = responses(f, SurveyKind.CSAT).aggregate(
        n=Count("pk"), good=Count("pk", filter=Q(score__gte=4))
    )
    return Rate(row["good"], row["n"])


def metric_nps(f: MetricFilter) -> Nps:
    row = responses(f, SurveyKind.NPS).aggregate(
        n=Count("pk"),
        p=Count("pk", filter=Q(score__gte=9)),
        d=Count("pk", filter=Q(score__lte=6)),
    )
    return Nps(row["n"], row["p"], row["d"])


def metric_ces(f: MetricFilter) -> Ces:
    row = responses(f, SurveyKind.CES).aggregate(n=Count("pk"), mean=Avg("score"))
    return Ces(row["n"], None if row["mean"] is None else round(row["mean"], 3))


@dataclass(frozen=True)
class Scores:
    csat: Rate
    nps: Nps
    ces: Ces


def metric_scores(f: MetricFilter) -> Scores:
    """`metric_csat`, `metric_nps` and `metric_ces` of the period in one query over the
    answers of the three kinds."""
    csat, nps, ces = (Q(kind=k) for k in (SurveyKind.CSAT, SurveyKind.NPS, SurveyKind.CES))
    row = responses(f).aggregate(
        csat_n=Count("pk", filter=csat),
        csat_good=Count("pk", filter=csat & Q(score__gte=4)),
        nps_n=Count("pk", filter=nps),
        nps_p=Count("pk", filter=nps & Q(score__gte=9)),
        nps_d=Count("pk", filter=nps & Q(score__lte=6)),
        ces_n=Count("pk", filter=ces),
        ces_mean=Avg("score", filter=ces),
    )
    mean = row["ces_mean"]
    return Scores(
        csat=Rate(row["csat_good"], row["csat_n"]),
        nps=Nps(row["nps_n"], row["nps_p"], row["nps_d"]),
        ces=Ces(row["ces_n"], None if mean is None else round(mean, 3)),
    )


def metric_survey_daily(f: MetricFilter) -> list[dict]:
    """Per day and kind: [{day, kind, n, good, promoters, detractors, mean}]."""
    return list(
        responses(f)
        .annotate(day=TruncDate("created_at"))
        .values("day", "kind")
        .annotate(
            n=Count("pk"),
            good=Count("pk", filter=Q(score__gte=4)),
            promoters=Count("pk", filter=Q(score__gte=9)),
            detractors=Count("pk", filter=Q(score__lte=6)),
            mean=Avg("score"),
        )
        .order_by("day", "kind")
    )


def survey_comments(f: MetricFilter, limit: int = 100):
    return (
        responses(f)
        .exclude(comment="")
        .select_related("ticket", "customer", "agent", "channel")
        .order_by("-created_at")[:limit]
    )


@dataclass(frozen=True)
class SurveyStats:
    sent: int
    answered: int

    @property
    def response_rate(self) -> float | None:
        return ratio(self.answered, self.sent)


def metric_survey_sent(f: MetricFilter) -> SurveyStats:
    from metrics.models import Survey

    row = Survey.objects.filter(f.in_period("sent_at"), f.related_ticket_q()).aggregate(
        sent=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False))
    )
    return SurveyStats(row["sent"], row["answered"])


def metric_frt_csat_bins(f: MetricFilter, edges: list[int]) -> list[FrtBin]:
    """CSAT answers in the period grouped by their ticket's FRT in minutes: bin i holds
    edges[i] <= FRT < edges[i + 1], the last bin FRT >= edges[-1]; tickets without a first
    response (or with a negative FRT) are left out. One GROUP BY over the bin number, the
    FRT computed once per answer (not one conditional count per bin and outcome)."""
    frt = frt_seconds("ticket__")
    whens = [When(_frt__lt=edges[0] * 60, then=Value(None))]
    whens += [When(_frt__lt=high * 60, then=Value(i)) for i, high in enumerate(edges[1:])]
    rows = (
        responses(f, SurveyKind.CSAT)
        .filter(
            ticket__first_response_at__isnull=False,
            ticket__first_customer_message_at__isnull=False,
        )
        .annotate(_frt=frt)
        .annotate(_bin=Case(*whens, default=Value(len(edges) - 1), output_field=IntegerField()))
        .values("_bin")
        .annotate(n=Count("pk"), g=Count("pk", filter=Q(score__gte=4)))
        .order_by()
    )
    by_bin = {r["_bin"]: r for r in rows if r["_bin"] is not None}
    return [
        FrtBin(
            low=low,
            high=edges[i + 1] if i + 1 < len(edges) else None,
            answers=by_bin[i]["n"] if i in by_bin else 0,
            positive=by_bin[i]["g"] if i in by_bin else 0,
        )
        for i, low in enumerate(edges)
    ]
