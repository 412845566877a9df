"""A Celery worker killed (SIGKILL) in the middle of processing a webhook: the message is
processed exactly once after it comes back, and nothing half-written stays behind.

"In the middle": the test holds a SHARE lock on the ticket event log, so the worker blocks
inside receive()'s transaction after it wrote the customer, the ticket and the message.
"""

from __future__ import annotations

import json
import os
import re
import signal

import psycopg

from tests.faults.conftest import make_channel, post_generic
from tests.faults.stack import Stack, wait_for

RECEIVED = re.compile(r"Task channels_in\.inbound_event_process\[[^\]]+\] received")
BLOCKED = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
    "AND query LIKE 'INSERT INTO \"tickets_ticketevent\"%%'"
)


def _hold_event_log(stack: Stack) -> psycopg.Connection:
    conn = stack.pg.connect(stack.DB)
    conn.execute("LOCK TABLE tickets_ticketevent IN SHARE MODE")
    return conn


def _stored(stack: Stack, external_id: str) -> tuple[int, int, int]:
    """(messages, tickets, customers) written for one external message id."""
    return stack.sql(
        "SELECT (SELECT count(*) FROM tickets_message WHERE external_id = %s), "
        "(SELECT count(*) FROM tickets_ticket t JOIN tickets_customer c ON c.id = t.customer_id "
        " WHERE c.name = %s), "
        "(SELECT count(*) FROM tickets_customer WHERE name = %s)",
        (external_id, external_id, external_id),
    )[0]


def _body(external_id: str) -> bytes:
    # The customer is named after the message, to count what one delivery wrote.
    return json.dumps(
        {
            "external_user_id": "u-" + external_id,
            "name": external_id,
            "external_message_id": external_id,
            "text": "Killed in the middle?",
        }
    ).encode()


def test_a_pool_child_killed_mid_task_is_redelivered_at_once(procs):
    stack = procs
    channel = make_channel(stack)
    _web, base = stack.web()
    worker = stack.worker(pool="prefork", concurrency=1)
    lock = _hold_event_log(stack)
    try:
        assert post_generic(base, channel, _body("child-kill")).status_code == 200
        wait_for(lambda: stack.scalar(BLOCKED, (stack.DB,)), what="the worker to block mid-task")
        children = worker.children()
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)
    finally:
        lock.rollback()
        lock.close()
    # reject_on_worker_lost: the main process puts the task back; a new child runs it.
    wait_for(
        lambda: (
            stack.scalar(
                "SELECT status FROM channels_in_inboundevent WHERE dedupe_key = 'msg:child-kill'"
            )
            == "processed"
        ),
        timeout=60,
        what=f"the redelivered task\n{worker.log()}",
    )
    assert worker.alive()
    assert "WorkerLostError" in worker.log()
    assert _stored(stack, "child-kill") == (1, 1, 1)


def test_a_whole_worker_killed_mid_task_processes_the_message_once_after_restart(procs):
    stack = procs
    channel = make_channel(stack)
    _web, base = stack.web()
    # A short visibility timeout: the broker hands the unacknowledged task out again soon.
    env = {"CELERY_VISIBILITY_TIMEOUT": "5", "CELERY_UNACKED_RESTORE_SECONDS": "1"}
    worker = stack.worker(**env)
    lock = _hold_event_log(stack)
    try:
        assert post_generic(base, channel, _body("worker-kill")).status_code == 200
        wait_for(lambda: stack.scalar(BLOCKED, (stack.DB,)), what="the worker to block mid-task")
        worker.kill(signal.SIGKILL)
        worker.process.wait(10)
    finally:
        lock.rollback()
        lock.close()
    # The killed worker's transaction is rolled back: nothing half-written.
    wait_for(
        lambda: (
            not stack.scalar(BLOCKED, (stack.DB,))
            and stack.scalar(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = %s AND state LIKE 'idle in%%'",
                (stack.DB,),
            )
            == 0
        ),
        what="the killed worker's session to end",
    )
    assert _stored(stack, "worker-kill") == (0, 0, 0)
    assert (
        stack.scalar(
            "SELECT status FROM channels_in_inboundevent WHERE dedupe_key = 'msg:worker-kill'"
        )
        == "received"
    )

    # Restart: the broker redelivers the unacknowledged task after the visibility timeout,
    # and the requeue sweep (row aged past its minute) enqueues it again: two deliveries.
    stack.sql(
        "UPDATE channels_in_inboundevent SET received_at = received_at - interval '5 minutes' "
        "WHERE dedupe_key = 'msg:worker-kill'"
    )
    restarted = stack.worker(**env)
    stack.beat(INBOUND_REQUEUE_INTERVAL="1", **env)
    wait_for(
        lambda: (
            stack.scalar(
                "SELECT status FROM channels_in_inboundevent WHERE dedupe_key = 'msg:worker-kill'"
            )
            == "processed"
        ),
        timeout=60,
        what=f"processing after the restart\n{restarted.log()}",
    )
    # A late second delivery of the same task (the other of the two paths above, or the
    # broker after a visibility timeout) changes nothing.
    event_id = stack.scalar(
        "SELECT id FROM channels_in_inboundevent WHERE dedupe_key = 'msg:worker-kill'"
    )
    stack.send_task("channels_in.inbound_event_process", event_id=event_id)
    wait_for(
        lambda: (
            len(RECEIVED.findall(restarted.log())) >= 2
            and "succeeded" in restarted.log().rsplit("received", 1)[-1]
        ),
        timeout=30,
        what=f"the second delivery\n{restarted.log()}",
    )
    assert _stored(stack, "worker-kill") == (1, 1, 1)
