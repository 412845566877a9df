"""Intake to queue on the production topology: messages/s fully processed, and the time from
webhook to the event on 50 agents' websockets; then the memory of the processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_100k \\
    REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/intake_queue.py --messages 600 --agents 50 --rate 10 --seconds 20

Starts `bin/run-prod` (nginx in front, gunicorn with 2 workers, uvicorn for /ws/, a Celery
worker with 2 processes, beat) on its own ports against the given database and Redis, then:

1. Processing: `--messages` signed generic webhooks are posted through nginx (16 in flight),
   every message from a new customer, so each one creates a customer, a
   ticket and a message, runs the rules, starts the SLA clocks and publishes the live
   events. The figure is messages fully processed per second: journal rows processed ÷
   (last processed − first received). The ticket, SLA clock and failure counts are checked.
2. Live: `--agents` operators signed in (a session each) hold websockets on /ws/agent/
   through nginx and the realtime server (real sockets, from this process, with the
   `websockets` library); webhooks arrive at `--rate` per second for `--seconds`. For every
   message and every agent, the time from just before the webhook POST to the moment the
   agent's socket delivers that message's `message.created` event: p50 and p99 over all
   deliveries, and how many never arrived. Keep `--rate` below the processing rate of part
   1, or the figure measures a growing queue rather than the path to the screen.
3. Memory: resident size (VmRSS) of the web (gunicorn worker), realtime and Celery worker
   processes after the run.

Afterwards the tickets, customers, journal rows, channels and sessions it made are deleted
(`--keep` keeps them), so a seeded database stays as its marker describes it. Not part of
the test suite; `--json PATH` writes the figures for bench/run.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

from bench.common import figure, percentile, process_tree, rss_kib, write_json  # noqa: E402

SECRET_KEY = os.environ.setdefault("SECRET_KEY", "bench-" + "k" * 50)  # sessions: the same key

TEXT = "Where is my order {n}? It should have arrived yesterday."


def body_for(channel, key: str, n: int) -> tuple[bytes, str]:
    from channels_in.adapters.base import hmac_hex

    body = json.dumps(
        {
            "external_user_id": f"iq-{key}",
            "name": f"Bench Customer {n}",
            "external_message_id": key,
            "text": TEXT.format(n=10_000 + n),
        }
    ).encode()
    return body, f"sha256={hmac_hex(channel.secret, body)}"


class Topology:
    """bin/run-prod on private ports and directories; stopped with SIGTERM (it stops all)."""

    def __init__(self, port: int, tmp: Path):
        self.port = port
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "SECRET_KEY": SECRET_KEY,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_PORT": str(self.port + 1),
            "REALTIME_PORT": str(self.port + 2),
            "WORKER_CONCURRENCY": "2",
            "WEB_WORKERS": "2",
            "STATIC_ROOT": str(self.tmp / "static"),
            "HELPDESK_VAR_DIR": str(self.tmp / "var"),
        }
        log = (self.tmp / "run-prod.log").open("w")
        self.proc = subprocess.Popen(
            [str(ROOT / "bin/run-prod")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"bin/run-prod exited: see {self.tmp / 'run-prod.log'}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        sys.exit("the topology did not become healthy in 120 s")

    def processes(self) -> dict[str, list[int]]:
        """pids by role, from the process tree of bin/run-prod."""
        roles: dict[str, list[int]] = {"web": [], "realtime": [], "worker": [], "worker_main": []}
        tree = process_tree(self.proc.pid)
        parents = {pid for pid, _ in tree}
        for pid, cmd in tree:
            if "gunicorn" in cmd and "helpdesk.wsgi" in cmd:
                roles["web"].append(pid)
            elif "uvicorn" in cmd and "helpdesk.asgi" in cmd:
                roles["realtime"].append(pid)
            elif "celery" in cmd and " worker" in cmd:
                roles["worker"].append(pid)
        # gunicorn and Celery fork their workers: the master / main process is the parent.
        for role, main_role in (("web", None), ("worker", "worker_main")):
            pids = roles[role]
            ppids = {pid: _ppid(pid) for pid in pids}
            mains = [pid for pid in pids if ppids[pid] not in pids]
            roles[role] = [pid for pid in pids if pid not in mains]
            if main_role:
                roles[main_role] = mains
        del parents
        return roles

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def wait_processed(channel_id: int, expected: int, timeout: float) -> dict:
    from django.db.models import Count, Max, Min

    from channels_in.models import InboundEvent

    deadline = time.monotonic() + timeout
    while True:
        rows = dict(
            InboundEvent.objects.filter(channel_id=channel_id)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        total = sum(rows.values())
        waiting = rows.get("received", 0)
        if (total >= expected and not waiting) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    span = InboundEvent.objects.filter(channel_id=channel_id).aggregate(
        first=Min("received_at"), last=Max("processed_at")
    )
    return {"statuses": rows, "total": total, **span}


async def post_all(url: str, bodies: list[tuple[bytes, str]], concurrency: int) -> None:
    """POST every (body, signature) with `concurrency` requests in flight."""
    import httpx

    queue = list(reversed(bodies))
    async with httpx.AsyncClient(timeout=60) as client:

        async def sender() -> None:
            while queue:
                body, sig = queue.pop()
                response = await client.post(
                    url,
                    content=body,
                    headers={"Content-Type": "application/json", "X-Helpdesk-Signature": sig},
                )
                response.raise_for_status()

        await asyncio.gather(*(sender() for _ in range(concurrency)))


def processing(topology: Topology, channel, *, messages: int, timeout: float) -> dict:
    from channels_in.models import InboundEvent
    from sla.models import SlaClock
    from tickets.models import Ticket

    stamp = time.time_ns()
    bodies = [body_for(channel, f"p{stamp}-{n}", n) for n in range(messages)]
    url = f"{topology.base}/webhooks/generic/{channel.pk}/"
    posted = time.perf_counter()
    asyncio.run(post_all(url, bodies, concurrency=16))
    posting = time.perf_counter() - posted
    accepted = InboundEvent.objects.filter(channel=channel).count()
    done = wait_processed(channel.pk, accepted, timeout)
    seconds = (done["last"] - done["first"]).total_seconds()
    processed = done["statuses"].get("processed", 0)
    tickets = Ticket.objects.filter(channel=channel)
    return {
        "accepted": accepted,
        "processed": processed,
        "failed": done["statuses"].get("failed", 0),
        "unfinished": done["statuses"].get("received", 0),
        "seconds": round(seconds, 2),
        "posting_seconds": round(posting, 2),
        "per_second": processed / seconds if seconds else 0.0,
        "tickets": tickets.count(),
        "tickets_with_sla_clocks": SlaClock.objects.filter(ticket__channel=channel)
        .values("ticket_id")
        .distinct()
        .count(),
    }


def agent_cookies(count: int) -> list[str]:  # "sessionid=<key>" each
    """A signed-in session per bench operator, as a Cookie header value."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User

    operator = Group.objects.get(name="operator")
    store = import_module(settings.SESSION_ENGINE).SessionStore
    cookies = []
    for n in range(count):
        user, _ = User.objects.get_or_create(
            username=f"bench-ws-agent-{n:02d}", defaults={"first_name": f"Agent {n}"}
        )
        user.groups.add(operator)
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies


async def live(topology: Topology, channel, *, cookies, rate: float, seconds: float) -> dict:
    import httpx
    import websockets

    ws_url = topology.base.replace("http://", "ws://") + "/ws/agent/"
    received: list[tuple[int, int, float]] = []  # (agent, message id, time)
    sockets = []
    for cookie in cookies:
        sockets.append(
            await websockets.connect(
                ws_url,
                additional_headers={"Cookie": cookie, "Origin": topology.base},
                max_queue=None,
            )
        )

    async def listen(agent: int, socket) -> None:
        try:
            async for frame in socket:
                if '"message.created"' not in frame:
                    continue
                now = time.perf_counter()
                event = json.loads(frame)
                if event.get("type") == "message.created" and event.get("direction") == "in":
                    received.append((agent, event["message_id"], now))
        except websockets.ConnectionClosed:
            pass

    listeners = [asyncio.create_task(listen(i, s)) for i, s in enumerate(sockets)]
    await asyncio.sleep(1)  # every consumer has joined its groups
    sent: dict[str, float] = {}
    stamp = time.time_ns()
    url = f"{topology.base}/webhooks/generic/{channel.pk}/"
    count = int(rate * seconds)
    async with httpx.AsyncClient(timeout=30) as client:
        start = time.perf_counter()

        async def post(n: int) -> None:
            key = f"w{stamp}-{n}"
            body, sig = body_for(channel, key, n)
            sent[key] = time.perf_counter()
            response = await client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "X-Helpdesk-Signature": sig},
            )
            response.raise_for_status()

        posts = []
        for n in range(count):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            posts.append(asyncio.create_task(post(n)))
        await asyncio.gather(*posts)
    expected = count * len(sockets)
    deadline = time.perf_counter() + 30
    while len(received) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
    for socket in sockets:
        await socket.close()
    await asyncio.gather(*listeners, return_exceptions=True)

    from asgiref.sync import sync_to_async

    from tickets.models import Message

    @sync_to_async
    def keys() -> dict[int, str]:
        ids = {m for _a, m, _t in received}
        return dict(Message.objects.filter(pk__in=ids).values_list("pk", "external_id"))

    by_id = await keys()
    latencies = []
    per_message: dict[int, list[float]] = {}
    for _agent, message_id, at in received:
        key = by_id.get(message_id)
        if key in sent:
            latencies.append((at - sent[key]) * 1000)
            per_message.setdefault(message_id, []).append(at * 1000)
    # First agent's socket to the last one's: what the fan-out to every agent adds.
    spreads = [max(v) - min(v) for v in per_message.values()]
    firsts = [min(v) - sent[by_id[m]] * 1000 for m, v in per_message.items()]
    return {
        "messages": count,
        "agents": len(sockets),
        "deliveries": len(latencies),
        "missing": expected - len(latencies),
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "first_agent_p50": percentile(firsts, 50),
        "fanout_spread_p50": percentile(spreads, 50),
    }


def memory(topology: Topology) -> dict:
    roles = topology.processes()
    out = {}
    for role, pids in roles.items():
        sizes = [rss_kib(pid) for pid in pids]
        sizes = [s for s in sizes if s]
        out[role] = round(max(sizes) / 1024, 1) if sizes else None
    return out


def cleanup(channels: list, session_keys: list[str]) -> None:
    """Remove what the run wrote (tickets and their rows, customers, journal, channels,
    sessions), so the seeded database stays as its marker describes it."""
    from django.contrib.sessions.models import Session

    from channels_in.models import InboundEvent
    from tickets.models import Customer, Ticket

    customers = list(
        Customer.objects.filter(identities__channel__in=channels).values_list("pk", flat=True)
    )
    Ticket.objects.filter(channel__in=channels).delete()
    InboundEvent.objects.filter(channel__in=channels).delete()
    Customer.objects.filter(pk__in=customers, tickets__isnull=True).delete()
    for channel in channels:
        channel.delete()
    Session.objects.filter(session_key__in=session_keys).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600, help="webhooks to process")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10, help="webhooks/s during the live part")
    parser.add_argument("--seconds", type=float, default=20, help="length of the live part")
    parser.add_argument("--port", type=int, default=8690, help="front door; +1 web, +2 realtime")
    parser.add_argument("--timeout", type=float, default=600, help="longest wait for the workers")
    parser.add_argument("--skip-processing", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the tickets it made")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        sys.exit("Set DATABASE_URL and REDIS_URL: this measures the production topology.")
    for tool in ("nginx",):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is needed: apt-get install -y {tool}")

    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.core.management import call_command

    from channels_in.services import channel_create
    from helpdesk.celery import app

    call_command("migrate", verbosity=0)
    tmp = Path(tempfile.mkdtemp(prefix="bench-intake-queue-"))
    stamp = time.time_ns()
    burst_channel = channel_create(kind="generic", name=f"bench processing {stamp}")
    live_channel = channel_create(kind="generic", name=f"bench live {stamp}")
    cookies = agent_cookies(args.agents)
    session_keys = [c.split("=", 1)[1] for c in cookies]
    topology = Topology(args.port, tmp)
    app.control.purge()
    topology.start()
    figures = []
    try:
        # Warm up: every process has its connections and code loaded.
        for n in range(4):
            body, sig = body_for(live_channel, f"warm{stamp}-{n}", n)
            request = urllib.request.Request(
                f"{topology.base}/webhooks/generic/{live_channel.pk}/",
                data=body,
                headers={"Content-Type": "application/json", "X-Helpdesk-Signature": sig},
            )
            urllib.request.urlopen(request, timeout=10).read()
        wait_processed(live_channel.pk, 4, 60)
        if not args.skip_processing:
            p = processing(topology, burst_channel, messages=args.messages, timeout=args.timeout)
            print(
                f"processing: {p['processed']:,} of {p['accepted']:,} webhooks in "
                f"{p['seconds']:.1f} s = {p['per_second']:.0f} messages/s "
                f"(failed {p['failed']}, unfinished {p['unfinished']}, tickets {p['tickets']:,}, "
                f"with SLA clocks {p['tickets_with_sla_clocks']:,})",
                flush=True,
            )
            figures.append(
                figure(
                    "intake to queue, messages fully processed (2 Celery workers)",
                    unit="msg/s",
                    runs=[p["per_second"]],
                    target=">= 300 msg/s",
                    **{k: v for k, v in p.items() if k != "per_second"},
                )
            )
        settle = wait_processed(live_channel.pk, 4, 5)
        del settle
        result = asyncio.run(
            live(topology, live_channel, cookies=cookies, rate=args.rate, seconds=args.seconds)
        )
        print(
            f"live: {result['messages']} webhooks at {args.rate}/s to {result['agents']} agents: "
            f"{result['deliveries']:,} deliveries, p50 {result['p50']:.1f} ms, "
            f"p99 {result['p99']:.1f} ms, missing {result['missing']}; first agent's socket "
            f"p50 {result['first_agent_p50']:.1f} ms, first to last agent p50 "
            f"{result['fanout_spread_p50']:.1f} ms",
            flush=True,
        )
        figures.append(
            figure(
                f"webhook to agent websocket p99 ({result['agents']} agents connected)",
                unit="ms",
                runs=[result["p99"]],
                target="< 250 ms",
                p50_ms=result["p50"],
                first_agent_p50_ms=result["first_agent_p50"],
                fanout_spread_p50_ms=result["fanout_spread_p50"],
                messages=result["messages"],
                deliveries=result["deliveries"],
                missing=result["missing"],
                rate_per_s=args.rate,
            )
        )
        rss = memory(topology)
        print(f"memory (MiB, VmRSS, largest process of each role): {rss}", flush=True)
        for role, label in (
            ("web", "memory: web process (gunicorn worker) RSS after the run"),
            ("realtime", "memory: realtime process (uvicorn) RSS after the run"),
            ("worker", "memory: Celery worker process RSS after the run"),
        ):
            if rss.get(role) is not None:
                figures.append(figure(label, unit="MiB", runs=[rss[role]]))
    except BaseException:
        print(f"the topology's log is kept: {tmp / 'run-prod.log'}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    finally:
        topology.stop()
        app.control.purge()
        if not args.keep:
            cleanup([burst_channel, live_channel], session_keys)
    write_json(args.json, figures)


if __name__ == "__main__":
    main()
