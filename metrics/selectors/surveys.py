"""CSAT, NPS, CES from survey answers, their daily trend and the comments."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDate

from metrics.filters import MetricFilter
from metrics.models import SurveyKind, SurveyResponse
from metrics.selectors.common import Rate, ratio


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
