"""Redis stopped while webhooks arrive: every webhook is still acknowledged and journaled;
after Redis returns the same worker reconnects and the requeue sweep on beat processes them,
each message stored once."""

from __future__ import annotations

import time

import httpx

from tests.faults.conftest import generic_body, make_channel, post_generic
from tests.faults.stack import wait_for

COUNT = 20


def test_webhooks_during_a_redis_outage_are_kept_and_processed_after(procs):
    stack = procs
    channel = make_channel(stack)
    _web, base = stack.web()
    worker = stack.worker()
    # Sanity: with Redis up a webhook is processed by the worker at once.
    assert post_generic(base, channel, generic_body("before")).status_code == 200
    wait_for(
        lambda: stack.scalar("SELECT count(*) FROM tickets_message WHERE external_id='before'"),
        what="the first message",
    )

    stack.redis.stop()
    health = httpx.get(base + "/healthz", timeout=10)
    assert health.status_code == 503
    assert health.json()["broker"].startswith("error")
    assert health.json()["db"] == "ok"

    slowest = 0.0
    for i in range(COUNT):
        started = time.monotonic()
        response = post_generic(base, channel, generic_body(f"outage-{i}"))
        slowest = max(slowest, time.monotonic() - started)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "accepted"
    # A provider's retry of the same delivery is acknowledged as a duplicate.
    again = post_generic(base, channel, generic_body("outage-3"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert slowest < 5, f"a webhook took {slowest:.1f} s while Redis was down"

    journal = dict(
        stack.sql(
            "SELECT status, count(*) FROM channels_in_inboundevent "
            "WHERE dedupe_key LIKE 'msg:outage-%%' GROUP BY status"
        )
    )
    assert journal == {"received": COUNT}
    assert not stack.scalar(
        "SELECT count(*) FROM tickets_message WHERE external_id LIKE 'outage-%%'"
    )

    stack.redis.start()
    wait_for(lambda: httpx.get(base + "/healthz", timeout=5).status_code == 200, what="healthz")
    # Their tasks were never enqueued: they wait for the sweep, which takes rows older than
    # a minute. Move them back in time instead of waiting, then run beat.
    stack.sql(
        "UPDATE channels_in_inboundevent SET received_at = received_at - interval '5 minutes' "
        "WHERE status = 'received'"
    )
    beat = stack.beat(INBOUND_REQUEUE_INTERVAL="1")
    wait_for(
        lambda: (
            stack.scalar(
                "SELECT count(*) FROM channels_in_inboundevent "
                "WHERE dedupe_key LIKE 'msg:outage-%%' AND status = 'processed'"
            )
            == COUNT
        ),
        timeout=90,
        what=f"the journal rows to be processed\n{worker.log()}\n{beat.log()}",
    )
    assert worker.alive(), "the worker must survive the outage and reconnect"
    rows = stack.sql(
        "SELECT external_id, count(*) FROM tickets_message "
        "WHERE external_id LIKE 'outage-%%' GROUP BY external_id"
    )
    assert len(rows) == COUNT
    assert all(n == 1 for _id, n in rows)
