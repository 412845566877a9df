"""The beat stopped for an hour: when it comes back, every overdue SLA timer fires once,
also with two sweeps racing on two worker processes and beat sweeping every second."""

from __future__ import annotations

import re

import httpx

from tests.faults.stack import wait_for

OVERDUE = 60  # due between 1 and 60 minutes ago: the hour the beat was away
AT_RISK = 10  # due in an hour, warning time already passed


def test_overdue_timers_fire_once_each_after_the_beat_returns(procs):
    stack = procs
    stack.django(
        "import datetime as dt\n"
        "from django.utils import timezone\n"
        "from sla.models import ClockStatus, SlaClock\n"
        "from tests.factories.sla import SlaPolicyFactory\n"
        "from tests.factories.tickets import TicketFactory\n"
        "now = timezone.now()\n"
        "hour, minute = dt.timedelta(hours=1), dt.timedelta(minutes=1)\n"
        "policy = SlaPolicyFactory()\n"
        f"tickets = TicketFactory.create_batch({OVERDUE + AT_RISK})\n"
        "SlaClock.objects.bulk_create(\n"
        "    SlaClock(ticket=t, metric='first_response', policy=policy,\n"
        "             status=ClockStatus.RUNNING, target_seconds=7200,\n"
        "             started_at=now - 2 * hour, running_since=now - 2 * hour,\n"
        f"             due_at=now - (1 + i) * minute if i < {OVERDUE} else now + hour,\n"
        f"             warn_at=now - (10 + i) * minute if i < {OVERDUE} else now - 10 * minute)\n"
        "    for i, t in enumerate(tickets))\n"
    )  # fmt: skip
    # Two sweeps are already queued when the workers start: they run at the same time.
    stack.send_task("sla.sweep")
    stack.send_task("sla.sweep")
    worker = stack.worker(pool="prefork", concurrency=2)
    stack.beat(SLA_SWEEP_INTERVAL="1")
    _web, base = stack.web(workers=1)

    wait_for(
        lambda: (
            stack.scalar(
                "SELECT count(*) FROM tickets_ticketevent "
                "WHERE kind IN ('sla_breached', 'sla_warning')"
            )
            >= OVERDUE + AT_RISK
        ),
        timeout=90,
        what=f"the SLA events\n{worker.log()}",
    )
    # Let beat sweep a few more times over the same rows.
    sweeps = re.compile(r"Task sla\.sweep\[[^\]]+\] succeeded")
    wait_for(lambda: len(sweeps.findall(worker.log())) >= 5, timeout=60, what="more sweeps")

    events = dict(stack.sql("SELECT kind, count(*) FROM sla_slaevent GROUP BY kind"))
    assert events == {"breached": OVERDUE, "warning": AT_RISK}
    assert not stack.scalar("SELECT count(*) FROM sla_slaevent WHERE done_at IS NULL")
    logged = dict(
        stack.sql(
            "SELECT kind, count(*) FROM tickets_ticketevent WHERE kind LIKE 'sla_%%' GROUP BY kind"
        )
    )
    assert logged == {"sla_breached": OVERDUE, "sla_warning": AT_RISK}
    per_ticket = stack.sql(
        "SELECT ticket_id, count(*) FROM tickets_ticketevent WHERE kind LIKE 'sla_%%' "
        "GROUP BY ticket_id HAVING count(*) > 1"
    )
    assert per_ticket == []
    assert not stack.scalar(
        "SELECT count(*) FROM sla_slaclock WHERE status = 'running' AND due_at <= now()"
    )

    # The sweeps are visible to monitoring.
    metrics = httpx.get(base + "/metrics", timeout=10).text
    runs = float(re.search(r"^helpdesk_sla_sweep_runs_total (\S+)$", metrics, re.M).group(1))
    assert runs >= 5
    assert f'helpdesk_sla_events_total{{kind="breached"}} {OVERDUE}' in metrics
