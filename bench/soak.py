"""Soak: a bounded load run against the production topology, then a count.

Starts its own PostgreSQL cluster and Redis (never the shared ones), gunicorn (2 workers),
a Celery worker (prefork, 2 processes) and beat, then posts signed generic webhooks and
Telegram updates from concurrent loopback clients for `--seconds`, about one in seven a
re-send of an earlier delivery (a provider's retry). At the end it waits for the worker to
drain the journal and checks that every accepted message is stored exactly once:

    .venv/bin/python bench/soak.py --seconds 120      # or: make soak SOAK_SECONDS=120

Exit status 1 when a count does not match; `--json PATH` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.faults.stack import Stack  # noqa: E402

SIGNATURE_HEADER = "X-Helpdesk-Signature"
TELEGRAM_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RESEND_SHARE = 0.15


def _hmac(secret: str, body: bytes) -> str:
    import hashlib
    import hmac

    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Traffic:
    """The known set of deliveries: what was sent, what was acknowledged."""

    def __init__(self, generic: dict, telegram: dict) -> None:
        self.generic, self.telegram = generic, telegram
        self.lock = threading.Lock()
        self.next = 0
        self.sent: list[tuple[str, str, bytes]] = []  # (kind, key, body) of new deliveries
        self.accepted: set[tuple[str, str]] = set()  # (kind, external message id)
        self.answers: dict[str, int] = {}
        self.latencies: list[float] = []

    def new(self) -> tuple[str, str, bytes]:
        with self.lock:
            n = self.next
            self.next += 1
        user = n % 97  # customers write several messages each
        if n % 2:
            body = json.dumps(
                {
                    "external_user_id": f"soak-user-{user}",
                    "name": f"Soak customer {user}",
                    "external_message_id": f"soak-{n}",
                    "text": f"Message number {n}: where is my order?",
                }
            ).encode()
            return "generic", f"soak-{n}", body
        chat = 500_000 + user
        body = json.dumps(
            {
                "update_id": 10_000_000 + n,
                "message": {
                    "message_id": n,
                    "date": int(time.time()),
                    "chat": {"id": chat, "type": "private", "first_name": f"Soak {user}"},
                    "from": {"id": chat, "is_bot": False, "first_name": f"Soak {user}"},
                    "text": f"Telegram message {n}",
                },
            }
        ).encode()
        return "telegram", f"{chat}:{n}", body

    def post(self, client: httpx.Client, base: str, kind: str, body: bytes) -> tuple[int, str]:
        channel = self.generic if kind == "generic" else self.telegram
        headers = {"Content-Type": "application/json"}
        if kind == "generic":
            headers[SIGNATURE_HEADER] = _hmac(channel["secret"], body)
        else:
            headers[TELEGRAM_HEADER] = channel["secret"]
        started = time.perf_counter()
        try:
            response = client.post(
                f"{base}/webhooks/{kind}/{channel['id']}/", content=body, headers=headers
            )
            status = response.status_code
            answer = response.json().get("status", "") if status == 200 else str(status)
        except (httpx.HTTPError, ValueError) as exc:
            status, answer = 0, exc.__class__.__name__
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            self.answers[answer] = self.answers.get(answer, 0) + 1
        return status, answer

    def client_loop(self, base: str, deadline: float, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < deadline:
                with self.lock:
                    resend = self.sent and rng.random() < RESEND_SHARE
                    earlier = rng.choice(self.sent) if resend else None
                if earlier:
                    kind, key, body = earlier
                else:
                    kind, key, body = self.new()
                status, _answer = self.post(client, base, kind, body)
                if status == 200:
                    with self.lock:
                        self.accepted.add((kind, key))
                        if not earlier:
                            self.sent.append((kind, key, body))


def drain_journal(stack: Stack, worker, *, stall: float = 120.0) -> None:
    """Wait until no journal row is waiting; fail only when none was processed for `stall`
    seconds (a stuck worker), however long a big backlog takes on a slow machine."""
    pause = threading.Event()
    last, last_change = None, time.monotonic()
    while True:
        waiting = stack.scalar(
            "SELECT count(*) FROM channels_in_inboundevent WHERE status = 'received'"
        )
        if waiting == 0:
            return
        if waiting != last:
            last, last_change = waiting, time.monotonic()
        elif time.monotonic() - last_change > stall:
            raise AssertionError(
                f"{waiting} journal rows still waiting, none processed for {stall:.0f} s\n"
                + worker.log()
            )
        pause.wait(1.0)


def run(seconds: float, concurrency: int) -> dict:
    stack = Stack()
    started_setup = time.monotonic()
    try:
        stack.up()
        channels = stack.django(
            "from channels_in.services import channel_create\n"
            "g = channel_create(kind='generic', name='soak generic', secret='soak-g')\n"
            "t = channel_create(kind='telegram', name='soak telegram', secret='soak-t')\n"
            "result = {'generic': {'id': g.pk, 'secret': g.secret},"
            " 'telegram': {'id': t.pk, 'secret': t.secret}}"
        )
        _web, base = stack.web(workers=2)
        worker = stack.worker(pool="prefork", concurrency=2)
        stack.beat(INBOUND_REQUEUE_INTERVAL="5")
        setup = time.monotonic() - started_setup
        print(
            f"stack: postgres port {stack.pg.port}, redis port {stack.redis.port}, "
            f"worker pid {worker.pid}, logs in {stack.dir}",
            file=sys.stderr,
            flush=True,
        )

        traffic = Traffic(channels["generic"], channels["telegram"])
        load_started = time.monotonic()
        deadline = load_started + seconds
        with ThreadPoolExecutor(concurrency) as pool:
            for i in range(concurrency):
                pool.submit(traffic.client_loop, base, deadline, i)
        load_seconds = time.monotonic() - load_started

        drain_started = time.monotonic()
        ids = {k: c["id"] for k, c in channels.items()}
        drain_journal(stack, worker)
        drain = time.monotonic() - drain_started

        journal = dict(
            stack.sql("SELECT status, count(*) FROM channels_in_inboundevent GROUP BY status")
        )
        rows = stack.sql(
            "SELECT channel_id, external_id, count(*) FROM tickets_message "
            "WHERE direction = 'in' GROUP BY channel_id, external_id"
        )
        by_id = {v: k for k, v in ids.items()}
        stored = {(by_id[channel], external): n for channel, external, n in rows}
        twice = sorted(key for key, n in stored.items() if n != 1)
        missing = sorted(traffic.accepted - stored.keys())
        unexpected = sorted(stored.keys() - traffic.accepted)
        requests = sum(traffic.answers.values())
        lat = sorted(traffic.latencies)
        figures = {
            "seconds": round(load_seconds, 1),
            "concurrency": concurrency,
            "requests": requests,
            "requests_per_second": round(requests / load_seconds, 1),
            "answers": traffic.answers,
            "distinct_messages_accepted": len(traffic.accepted),
            "journal": journal,
            "messages_stored": len(stored),
            "stored_more_than_once": len(twice),
            "accepted_not_stored": len(missing),
            "stored_not_accepted": len(unexpected),
            "latency_p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
            "latency_p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 1) if lat else None,
            "drain_seconds": round(drain, 1),
            "setup_seconds": round(setup, 1),
        }
        figures["ok"] = (
            not twice
            and not missing
            and not unexpected
            and journal.get("failed", 0) == 0
            and len(traffic.accepted) > 0
        )
        if twice or missing or unexpected:
            figures["examples"] = {
                "twice": twice[:5],
                "missing": missing[:5],
                "unexpected": unexpected[:5],
            }
        return figures
    finally:
        stack.down()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = run(args.seconds, args.concurrency)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
