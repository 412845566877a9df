"""Focused work sessions reported by the workspace, the raw data of AHT (docs/metrics.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.exceptions import ApplicationError
from tickets.models import Ticket, WorkSession

# One beacon never accounts for more than this: a span ends after 5 minutes idle, so a
# longer one means a sleeping laptop or a broken clock, not work.
MAX_SESSION_SECONDS = 4 * 3600
END_REASONS = {"blur", "idle", "reply", "leave", "hidden", "heartbeat"}


class WorkSessionInvalid(ApplicationError):
    code = "work_session_invalid"


def work_session_record(
    *,
    agent,
    ticket: Ticket,
    client_id: str,
    started_at: datetime,
    ended_at: datetime,
    reason: str = "",
    now: datetime | None = None,
) -> WorkSession:
    """Store (or extend) one span of focused work. Repeated beacons for the same span
    (same `client_id`) update one row, so a heartbeat followed by a final beacon counts once.
    """
    now = now or timezone.now()
    client_id = (client_id or "").strip()[:64]
    if not client_id:
        raise WorkSessionInvalid("A work session needs its client id.")
    # The browser's clock may be off a little; never trust a time in the future.
    ended_at = min(ended_at, now)
    if ended_at < started_at:
        raise WorkSessionInvalid("A work session cannot end before it starts.")
    started_at = max(started_at, ended_at - timedelta(seconds=MAX_SESSION_SECONDS))
    seconds = int((ended_at - started_at).total_seconds())
    reason = reason if reason in END_REASONS else ""
    with transaction.atomic():
        session = (
            WorkSession.objects.select_for_update().filter(agent=agent, client_id=client_id).first()
        )
        if session is None:
            try:
                with transaction.atomic():
                    return WorkSession.objects.create(
                        agent=agent,
                        ticket=ticket,
                        client_id=client_id,
                        started_at=started_at,
                        ended_at=ended_at,
                        seconds=seconds,
                        end_reason=reason,
                    )
            except IntegrityError:
                session = WorkSession.objects.select_for_update().get(
                    agent=agent, client_id=client_id
                )
        if session.ticket_id != ticket.pk:
            raise WorkSessionInvalid("This work session belongs to another ticket.")
        if ended_at > session.ended_at:
            session.started_at = min(session.started_at, started_at)
            session.ended_at = ended_at
            session.seconds = min(
                int((session.ended_at - session.started_at).total_seconds()),
                MAX_SESSION_SECONDS,
            )
            session.end_reason = reason or session.end_reason
            session.save(update_fields=["started_at", "ended_at", "seconds", "end_reason"])
    return session
