"""Work sessions for AHT: one row per span, beacons extend it, times are clamped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk.exceptions import ApplicationError
from tests.factories.tickets import TicketFactory, UserFactory
from tickets.models import WorkSession
from tickets.services import work_session_record
from tickets.services.worksession import MAX_SESSION_SECONDS

pytestmark = pytest.mark.django_db


def test_beacons_of_one_span_update_one_row():
    agent, ticket, now = UserFactory(), TicketFactory(), timezone.now()
    start = now - timedelta(minutes=3)
    work_session_record(
        agent=agent, ticket=ticket, client_id="s1", started_at=start,
        ended_at=start + timedelta(seconds=60), reason="heartbeat", now=now,
    )  # fmt: skip
    session = work_session_record(
        agent=agent, ticket=ticket, client_id="s1", started_at=start,
        ended_at=start + timedelta(seconds=150), reason="reply", now=now,
    )  # fmt: skip
    assert WorkSession.objects.count() == 1
    assert session.seconds == 150 and session.end_reason == "reply"
    # A late, older beacon does not shorten the span.
    work_session_record(
        agent=agent, ticket=ticket, client_id="s1", started_at=start,
        ended_at=start + timedelta(seconds=30), now=now,
    )  # fmt: skip
    assert WorkSession.objects.get().seconds == 150


def test_future_and_overlong_spans_are_clamped_and_backwards_refused():
    agent, ticket, now = UserFactory(), TicketFactory(), timezone.now()
    session = work_session_record(
        agent=agent, ticket=ticket, client_id="s2", started_at=now - timedelta(days=2),
        ended_at=now + timedelta(hours=1), now=now,
    )  # fmt: skip
    assert session.ended_at == now
    assert session.seconds == MAX_SESSION_SECONDS
    with pytest.raises(ApplicationError):
        work_session_record(
            agent=agent, ticket=ticket, client_id="s3", started_at=now,
            ended_at=now - timedelta(seconds=5), now=now,
        )  # fmt: skip
    with pytest.raises(ApplicationError):
        work_session_record(
            agent=agent, ticket=TicketFactory(), client_id="s2", started_at=now,
            ended_at=now, now=now,
        )  # fmt: skip
