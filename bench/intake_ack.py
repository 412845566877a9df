"""Intake acknowledgement under load: signed generic webhooks vs a no-op endpoint.

Runs the production web process (gunicorn, WSGI) on PostgreSQL + Redis and loads it with
wrk from a separate process, every request a distinct pre-signed message:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
    REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python bench/intake_ack.py --duration 30 --connections 32 --runs 3

Prints requests/s, p50 and p99 latency and errors for /webhooks/generic/<id>/ (HMAC-signed),
/webhooks/telegram/<id>/ (secret-token header, Bot API updates) and /livez, with medians over
the runs; `--json PATH` also writes them as figures for bench/run.py. The queued processing
tasks are purged afterwards
(this measures the acknowledgement only; no worker is needed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

LUA = """
local bodies = {}
local sigs = {}
local n = 0
for line in io.lines("%(file)s") do
  local sig, body = line:match("^(%%S+) (.*)$")
  n = n + 1
  sigs[n] = sig
  bodies[n] = body
end
local i = 0
request = function()
  i = i %% n + 1
  return wrk.format("POST", "%(path)s", {
    ["Content-Type"] = "application/json",
    ["%(header)s"] = sigs[i],
  }, bodies[i])
end
"""


def prepare(count: int, tmp: Path) -> dict[str, tuple[str, Path]]:
    """Channels and wrk scripts: {"generic": (path, script), "telegram": (path, script)}."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from channels_in.adapters.base import hmac_hex
    from channels_in.services import channel_create

    stamp = time.time_ns()
    generic = channel_create(kind="generic", name=f"bench {stamp}")
    telegram = channel_create(kind="telegram", name=f"bench telegram {stamp}")
    scripts = {}
    for kind, channel, header in (
        ("generic", generic, "X-Helpdesk-Signature"),
        ("telegram", telegram, "X-Telegram-Bot-Api-Secret-Token"),
    ):
        data = tmp / f"{kind}.txt"
        with data.open("w") as out:
            for n in range(count):
                if kind == "generic":
                    body = json.dumps(
                        {
                            "external_user_id": f"bench-{n % 5000}",
                            "name": "Bench Customer",
                            "external_message_id": f"{stamp}-{n}",
                            "text": "Where is my order? It should have arrived yesterday.",
                        }
                    )
                    sig = f"sha256={hmac_hex(channel.secret, body.encode())}"
                else:  # Telegram signs with a constant secret token header
                    user = 700_000_000 + n % 5000
                    body = json.dumps(
                        {
                            "update_id": stamp % 10**12 + n,
                            "message": {
                                "message_id": n + 1,
                                "date": int(time.time()),
                                "chat": {"id": user, "type": "private"},
                                "from": {"id": user, "is_bot": False, "first_name": "Bench"},
                                "text": "Where is my order? It should have arrived yesterday.",
                            },
                        }
                    )
                    sig = channel.secret
                out.write(f"{sig} {body}\n")
        script = tmp / f"{kind}.lua"
        path = f"/webhooks/{kind}/{channel.pk}/"
        script.write_text(LUA % {"file": data, "path": path, "header": header})
        scripts[kind] = (path, script)
    return scripts


def wrk(url: str, *, duration: int, connections: int, script: Path | None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", str(script)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(pct: str) -> float:
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket.group(1) if socket else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--server",
        choices=["gunicorn", "uvicorn"],
        default="gunicorn",
        help="gunicorn (WSGI, production web) or uvicorn (ASGI), to compare the two",
    )
    args = parser.parse_args()
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        sys.exit("Set DATABASE_URL and REDIS_URL: this measures the production topology.")
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")

    tmp = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    # Enough distinct messages that none repeats within a run.
    scripts = prepare(args.duration * 4000, tmp)
    env = {
        **os.environ,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-" + "k" * 50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }
    host, port, workers = "127.0.0.1", str(args.port), str(args.workers)
    if args.server == "gunicorn":
        cmd = [ROOT / ".venv/bin/gunicorn", "helpdesk.wsgi:application"]
        cmd += ["--bind", f"{host}:{port}", "--workers", workers, "--log-level", "warning"]
    else:
        cmd = [ROOT / ".venv/bin/uvicorn", "helpdesk.asgi:application", "--host", host]
        cmd += ["--port", port, "--workers", workers, "--log-level", "warning"]
    env["HELPDESK_TICKER"] = "0"
    server = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/livez", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        results = {"intake": [], "telegram": [], "noop": []}
        for _ in range(args.runs):
            for name, kind in (("intake", "generic"), ("telegram", "telegram")):
                path, script = scripts[kind]
                results[name].append(
                    wrk(
                        base + path,
                        duration=args.duration,
                        connections=args.connections,
                        script=script,
                    )
                )
            results["noop"].append(
                wrk(
                    base + "/livez",
                    duration=args.duration,
                    connections=args.connections,
                    script=None,
                )
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        from helpdesk.celery import app

        app.control.purge()
        shutil.rmtree(tmp, ignore_errors=True)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    print(f"{args.server} {args.workers} workers, wrk -t2 -c{args.connections} -d{args.duration}s, "
          f"median of {args.runs} runs, {os.cpu_count()} cores")  # fmt: skip
    print(f"{'endpoint':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, label in (
        ("intake", "POST /webhooks/generic/<id>/"),
        ("telegram", "POST /webhooks/telegram/<id>/"),
        ("noop", "GET /livez"),
    ):
        errors = sum(r["errors"] for r in results[name])
        print(f"{label:<34}{med(name, 'rps'):>10.0f}{med(name, 'p50'):>10.2f}"
              f"{med(name, 'p99'):>10.2f}{errors:>10}")  # fmt: skip
    ratio = med("intake", "rps") / med("noop", "rps")
    print(f"intake / no-op ratio: {ratio:.2f}")
    from bench.common import figure, write_json

    def errors(name: str) -> int:
        return sum(r["errors"] for r in results[name])

    write_json(
        args.json,
        [
            figure(
                f"intake acknowledgement, signed webhook ({args.server})",
                unit="req/s",
                runs=[r["rps"] for r in results["intake"]],
                target=">= 1000 req/s" if args.server == "gunicorn" else "",
                p99=med("intake", "p99"),
                p50_ms=med("intake", "p50"),
                errors=errors("intake"),
                ratio_to_noop=round(ratio, 2),
            ),
            figure(
                f"intake acknowledgement p99 latency ({args.server})",
                unit="ms",
                runs=[r["p99"] for r in results["intake"]],
                target="< 50 ms" if args.server == "gunicorn" else "",
            ),
            figure(
                f"intake acknowledgement, Telegram webhook ({args.server})",
                unit="req/s",
                runs=[r["rps"] for r in results["telegram"]],
                target=">= 1000 req/s" if args.server == "gunicorn" else "",
                p99=med("telegram", "p99"),
                p50_ms=med("telegram", "p50"),
                errors=errors("telegram"),
                ratio_to_noop=round(med("telegram", "rps") / med("noop", "rps"), 2),
            ),
            figure(
                f"intake acknowledgement p99 latency, Telegram ({args.server})",
                unit="ms",
                runs=[r["p99"] for r in results["telegram"]],
                target="< 50 ms" if args.server == "gunicorn" else "",
            ),
            figure(
                f"no-op endpoint /livez, same server ({args.server})",
                unit="req/s",
                runs=[r["rps"] for r in results["noop"]],
                p99=med("noop", "p99"),
                p50_ms=med("noop", "p50"),
                errors=errors("noop"),
            ),
        ],
    )


if __name__ == "__main__":
    main()
