"""Demo survey answers, revenue events and ROI inputs on top of `seed_demo` tickets.

CSAT falls with first response time (so the what-if has a relation to fit), customers
buy again after some solved tickets. Written in bulk; for demos and screenshots only.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from metrics.models import MetricsSettings, RevenueEvent, Survey, SurveyKind, SurveyResponse
from tickets.models import Ticket

COMMENTS = [
    "Fast and friendly, thank you!",
    "Took too long to get an answer.",
    "The operator solved it in one message.",
    "Спасибо, всё быстро решили!",
    "Ждал ответа полдня, курьер так и не приехал.",
    "I had to explain the problem twice.",
]


def _csat(rng: random.Random, frt_minutes: float) -> int:
    p_good = max(0.15, min(0.97, 0.98 - 0.09 * math.log1p(frt_minutes)))
    if rng.random() < p_good:
        return 5 if rng.random() < 0.7 else 4
    return rng.choice([1, 2, 3, 3])


def seed_metrics_demo(*, seed: int = 1, survey_share: float = 0.35) -> dict:
    rng = random.Random(seed)
    settings = MetricsSettings.load()
    settings.agent_hourly_cost = Decimal("600")
    settings.tool_costs_per_month = Decimal("30000")
    settings.average_check = Decimal("3500")
    settings.save()
    solved_qs = Ticket.objects.filter(solved_at__isnull=False, first_response_at__isnull=False)
    rows = solved_qs.values_list(
        "pk", "customer_id", "channel_id", "assignee_id", "first_customer_message_at",
        "first_response_at", "solved_at",
    )  # fmt: skip
    surveys, answers, events = [], [], []
    nps_customers = set()
    for pk, customer, channel, agent, first_msg, first_resp, solved in rows:
        if rng.random() < 0.25:
            for i in range(rng.choice([1, 1, 2])):
                when = solved + timedelta(days=rng.uniform(0.5, 40))
                amount = Decimal(rng.randrange(900, 9000)).quantize(Decimal("1"))
                events.append(
                    RevenueEvent(
                        order_id=f"demo-{pk}-{i}",
                        customer_id=customer,
                        amount=amount,
                        currency=settings.currency,
                        occurred_at=when,
                        source="demo",
                    )
                )
        if rng.random() >= survey_share:
            continue
        frt_min = (first_resp - first_msg).total_seconds() / 60
        kind = SurveyKind.CSAT
        if customer not in nps_customers and rng.random() < 0.2:
            kind = SurveyKind.NPS
            nps_customers.add(customer)
        elif rng.random() < 0.15:
            kind = SurveyKind.CES
        sent = solved + timedelta(minutes=1)
        answered = sent + timedelta(minutes=rng.uniform(1, 600))
        survey = Survey(
            kind=kind,
            ticket_id=pk,
            customer_id=customer,
            channel_id=channel,
            agent_id=agent,
            sent_at=sent,
            expires_at=sent + timedelta(days=7),
            answered_at=answered,
        )
        surveys.append(survey)
        if kind == SurveyKind.CSAT:
            score = _csat(rng, frt_min)
        elif kind == SurveyKind.NPS:
            score = min(10, max(0, round(rng.gauss(8.2 - 0.3 * math.log1p(frt_min), 2))))
        else:
            score = min(7, max(1, round(rng.gauss(5.6 - 0.2 * math.log1p(frt_min), 1.2))))
        comment = rng.choice(COMMENTS) if rng.random() < 0.15 else ""
        answers.append((survey, score, comment, answered))
    with transaction.atomic():
        Survey.objects.bulk_create(surveys, batch_size=2000)
        SurveyResponse.objects.bulk_create(
            [
                SurveyResponse(
                    survey=s,
                    kind=s.kind,
                    score=score,
                    comment=comment,
                    ticket_id=s.ticket_id,
                    customer_id=s.customer_id,
                    channel_id=s.channel_id,
                    agent_id=s.agent_id,
                    source="demo",
                    created_at=when,
                )
                for s, score, comment, when in answers
            ],
            batch_size=2000,
        )
        RevenueEvent.objects.bulk_create(events, batch_size=2000, ignore_conflicts=True)
    return {"surveys": len(surveys), "revenue_events": len(events)}
