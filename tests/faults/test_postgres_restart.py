"""PostgreSQL restarted under load: the web process (gunicorn) recovers by itself,
/healthz reports the outage meanwhile, webhooks refused during it get a clear 503 (the
sender retries), and every acknowledged webhook is stored exactly once and processed."""

from __future__ import annotations

import threading
import time

import httpx

from tests.faults.conftest import generic_body, make_channel, post_generic
from tests.faults.stack import wait_for


class Load:
    """Posts signed webhooks in a loop from a thread, recording each answer."""

    def __init__(self, base: str, channel: dict) -> None:
        self.base, self.channel = base, channel
        self.results: list[tuple[str, int, str, float]] = []  # (id, status, code, time)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            external_id = f"load-{n}"
            n += 1
            try:
                response = post_generic(self.base, self.channel, generic_body(external_id))
                code = response.json().get("error", {}).get("code", "") if response.content else ""
                self.results.append((external_id, response.status_code, code, time.monotonic()))
            except (httpx.HTTPError, ValueError) as exc:
                self.results.append((external_id, 0, exc.__class__.__name__, time.monotonic()))
            self.stop.wait(0.02)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(30)


def test_web_recovers_from_a_postgres_restart_and_healthz_reports_it(procs):
    stack = procs
    channel = make_channel(stack)
    web, base = stack.web(workers=2)
    worker = stack.worker()
    web_pid = web.pid
    with Load(base, channel) as load:
        wait_for(lambda: len(load.results) >= 20, what="load before the restart")

        stack.pg.stop("fast")
        down = wait_for(
            lambda: (r := httpx.get(base + "/healthz", timeout=10)).status_code == 503 and r,
            what="healthz to report the outage",
        )
        assert down.json()["db"].startswith("error"), down.json()
        assert down.json()["status"] == "degraded"
        outage_started = time.monotonic()
        wait_for(
            lambda: sum(1 for r in load.results if r[3] > outage_started) >= 10,
            what="webhooks during the outage",
        )

        stack.pg.start()
        recovered = wait_for(
            lambda: (
                httpx.get(base + "/healthz", timeout=10).status_code == 200 and time.monotonic()
            ),
            timeout=30,
            what="healthz to recover without a restart",
        )
        wait_for(
            lambda: sum(1 for r in load.results if r[3] > recovered + 1) >= 20,
            what="load after the restart",
        )
    assert web.alive() and web.pid == web_pid, "gunicorn must recover without a restart"

    during = [r for r in load.results if outage_started < r[3] < recovered]
    after = [r for r in load.results if r[3] > recovered + 1]
    # Refused with a clear 503 while the database is away (a webhook may also get through
    # around the moment it returns); never a 500 or a dropped connection.
    refused = [r for r in during if r[1] == 503 and r[2] == "unavailable"]
    assert len(refused) >= 10
    assert all(r[1] == 200 or r in refused for r in during), [
        r for r in during if r not in refused and r[1] != 200
    ][:5]
    assert all(r[1] == 200 for r in after), [r for r in after if r[1] != 200][:5]

    accepted = {r[0] for r in load.results if r[1] == 200}
    rows = dict(
        stack.sql(
            "SELECT dedupe_key, count(*) FROM channels_in_inboundevent "
            "WHERE dedupe_key LIKE 'msg:load-%%' GROUP BY dedupe_key"
        )
    )
    assert {key.removeprefix("msg:") for key in rows} == accepted
    assert set(rows.values()) == {1}

    # Rows whose task failed while the database was away wait for the requeue sweep.
    stack.sql(
        "UPDATE channels_in_inboundevent SET received_at = received_at - interval '5 minutes' "
        "WHERE status = 'received'"
    )
    stack.beat(INBOUND_REQUEUE_INTERVAL="1")
    wait_for(
        lambda: (
            stack.scalar(
                "SELECT count(*) FROM channels_in_inboundevent "
                "WHERE dedupe_key LIKE 'msg:load-%%' AND status <> 'processed'"
            )
            == 0
        ),
        timeout=120,
        what=f"every acknowledged webhook to be processed\n{worker.log()}",
    )
    messages = dict(
        stack.sql(
            "SELECT external_id, count(*) FROM tickets_message "
            "WHERE external_id LIKE 'load-%%' GROUP BY external_id"
        )
    )
    assert set(messages) == accepted
    assert set(messages.values()) == {1}
