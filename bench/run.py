"""`make bench`: every speed figure of the help desk on PostgreSQL + Redis, in one run.

    .venv/bin/python bench/run.py [--runs 3] [--quick] [--only queue,dashboards,...]

Seeds what it needs (once: a database whose marker says it is complete is reused, see
bench/seeding.py), runs each benchmark script with its repetitions, and prints one table:
figure, target, median (p99 where it applies), pass/fail and the exact command. The results
and the machine (nproc, RAM, PostgreSQL and Redis versions, load average) are written to
bench/results/<date>.json and .md; the Markdown table is what docs/performance.md shows.

Databases (on the PostgreSQL server of --pg; created when missing):

    helpdesk_bench_100k   100,000 demo tickets   queue and operator pages
    helpdesk_bench_1m     1,000,000 demo tickets queue, dashboards, metrics API, search,
                                                 intake to queue, memory
    helpdesk_bench_work   written to by the benchmarks that need their own rows: the SLA
                                                 sweep (100,000 open tickets, 1,000 due),
                                                 rules (200 rules), import (100,000 tickets)

Redis: db --redis-db (default 7) for the production topology of the intake figures, db
--redis-ack-db (default 6) for the acknowledgement bench (it purges its queue afterwards).
Groups (--only): ack, intake, queue, dashboards, summary, sla, rules, import.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, median  # noqa: E402

PY = ".venv/bin/python"
GROUPS = ["ack", "intake", "queue", "dashboards", "summary", "sla", "rules", "import"]
SIZES = {"100k": 100_000, "1m": 1_000_000}


def db_url(pg: str, name: str) -> str:
    return f"{pg.rstrip('/')}/{name}"


def ensure_database(pg: str, name: str) -> None:
    import psycopg

    with psycopg.connect(db_url(pg, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def versions(pg: str, redis_url: str) -> dict:
    import psycopg
    import redis

    with psycopg.connect(db_url(pg, "postgres")) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    redis_version = redis.Redis.from_url(redis_url).info("server")["redis_version"]
    return {"postgresql": pg_version, "redis": redis_version}


def command(env: dict, args: list[str]) -> str:
    """The command as a person would type it from the project directory."""
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    return f"{prefix} {shlex.join(args)}".strip()


def run_script(env: dict, args: list[str], *, log) -> list[dict]:
    """Run a bench script with --json; returns its figures, each carrying the command."""
    out = Path(tempfile.mkstemp(suffix=".json", prefix="bench-")[1])
    shown = command(env, args)
    print(f"\n$ {shown}", flush=True)
    log.write(f"\n$ {shown}\n")
    log.flush()
    start = time.monotonic()
    proc = subprocess.run(
        [*args, "--json", str(out)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log.write(proc.stdout)
    print(proc.stdout.rstrip()[-3000:], flush=True)
    if proc.returncode:
        print(f"FAILED (exit {proc.returncode}) after {time.monotonic() - start:.0f} s")
        return [
            {
                "figure": f"{Path(args[1]).name} failed (exit {proc.returncode})",
                "target": "runs",
                "unit": "",
                "median": None,
                "p99": None,
                "runs": [],
                "extra": {},
                "command": shown,
            }
        ]
    figures = json.loads(out.read_text() or "[]")
    out.unlink()
    for f in figures:
        f["command"] = shown
    return figures


def run_text(env: dict, args: list[str], *, log, patterns: dict) -> list[dict]:
    """A script without --json (bench/rules_routing.py): read its printed medians."""
    shown = command(env, args)
    print(f"\n$ {shown}", flush=True)
    proc = subprocess.run(
        args, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    log.write(f"\n$ {shown}\n{proc.stdout}")
    print(proc.stdout.rstrip()[-2000:], flush=True)
    figures = []
    for name, (pattern, target) in patterns.items():
        match = re.search(pattern, proc.stdout)
        value = float(match.group(1)) if match else None
        figures.append(
            {
                "figure": name,
                "target": target,
                "unit": "ms",
                "median": value,
                "p99": None,
                "runs": [value] if value is not None else [],
                "extra": {"exit": proc.returncode},
                "command": shown,
            }
        )
    return figures


def merge(groups: list[list[dict]]) -> list[dict]:
    """Figures of the same name from repeated invocations: the median of their medians."""
    merged: dict[str, dict] = {}
    for figures in groups:
        for f in figures:
            m = merged.setdefault(f["figure"], {**f, "runs": [], "p99s": []})
            if f["median"] is not None:
                m["runs"].append(f["median"])
            if f.get("p99") is not None:
                m["p99s"].append(f["p99"])
    for m in merged.values():
        m["median"] = median(m["runs"])
        m["p99"] = median(m["p99s"]) if m["p99s"] else None
        m.pop("p99s")
    return list(merged.values())


TARGET = re.compile(r"^\s*(<|<=|>|>=)\s*([\d.]+)\s*(.*)$")


def verdict(f: dict) -> str:
    """pass / FAIL against the target, or "" when the figure has none (reported only)."""
    match = TARGET.match(f.get("target") or "")
    if f.get("target") == "runs":
        return "FAIL"
    if not match:
        return ""
    if f.get("median") is None:
        return "FAIL"
    op, bound = match.group(1), float(match.group(2))
    value = f["median"]
    ok = {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound}[op]
    return "pass" if ok else "FAIL"


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def table(figures: list[dict], *, markdown: bool) -> str:
    rows = []
    for f in figures:
        extra = f.get("extra") or {}
        queries = extra.get("queries")
        rows.append(
            [
                f["figure"],
                f.get("target") or "—",
                fmt(f["median"], f["unit"]),
                fmt(f.get("p99"), "ms") if f.get("p99") is not None else "",
                str(queries) if queries is not None else "",
                verdict(f) or "report",
                f["command"],
            ]
        )
    head = ["figure", "target", "median", "p99", "queries", "result", "command"]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in rows:
            r = [*r[:-1], f"`{r[-1]}`"]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head) - 1)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=False))]
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)))
        lines.append(f"    $ {r[-1]}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions of every figure")
    parser.add_argument("--quick", action="store_true", help="short durations: check the run")
    parser.add_argument("--only", default=",".join(GROUPS), help=f"groups: {','.join(GROUPS)}")
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379"))
    parser.add_argument("--redis-db", type=int, default=7, help="the topology's Redis db")
    parser.add_argument("--redis-ack-db", type=int, default=6, help="the ack bench's Redis db")
    parser.add_argument("--prefix", default="helpdesk_bench", help="database name prefix")
    parser.add_argument("--out", default=str(ROOT / "bench/results"))
    args = parser.parse_args()
    groups = [g for g in args.only.split(",") if g]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        sys.exit(f"unknown groups: {', '.join(sorted(unknown))}")

    runs = 1 if args.quick else args.runs
    redis_main = f"{args.redis.rstrip('/')}/{args.redis_db}"
    redis_ack = f"{args.redis.rstrip('/')}/{args.redis_ack_db}"
    dbs = {size: f"{args.prefix}_{size}" for size in SIZES}
    work = f"{args.prefix}_work"
    url = {size: db_url(args.pg, name) for size, name in dbs.items()}
    work_url = db_url(args.pg, work)

    started = datetime.now(UTC)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y-%m-%d")
    log = (Path(args.out) / f"{stamp}.log").open("a")
    info = {"started": started.isoformat(), **machine(), **versions(args.pg, redis_main)}
    print(f"machine: {info}", flush=True)

    needs = {
        "100k": {"queue"} & set(groups),
        "1m": {"queue", "dashboards", "summary", "intake"} & set(groups),
    }
    seeding = {}
    for size, name in dbs.items():
        if not needs[size]:
            continue
        ensure_database(args.pg, name)
        start = time.monotonic()
        subprocess.run(
            [PY, "bench/seeding.py", "--tickets", str(SIZES[size])],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url[size]},
            check=True,
        )
        seeding[size] = round(time.monotonic() - start, 1)
    if {"sla", "rules", "import", "ack"} & set(groups):
        ensure_database(args.pg, work)

    results: list[dict] = []
    q = args.quick
    if "ack" in groups:
        env = {"DATABASE_URL": work_url, "REDIS_URL": redis_ack}
        duration = "5" if q else "30"
        results += run_script(
            env,
            [PY, "bench/intake_ack.py", "--duration", duration, "--connections", "32",
             "--runs", str(runs)],
            log=log,
        )  # fmt: skip
    if "intake" in groups:
        env = {"DATABASE_URL": url["1m"], "REDIS_URL": redis_main}
        cmd = [PY, "bench/intake_queue.py", "--agents", "50"]
        cmd += ["--rate", "2"]
        cmd += (
            ["--messages", "100", "--seconds", "5"]
            if q
            else ["--messages", "300", "--seconds", "30"]
        )
        results += merge([run_script(env, cmd, log=log) for _ in range(runs)])
    if "queue" in groups:
        for size in ("100k", "1m"):
            env = {"DATABASE_URL": url[size]}
            results += run_script(
                env,
                [PY, "bench/queue_page.py", "--runs", str(max(runs, 5)), "--label", size.upper()],
                log=log,
            )
    if "dashboards" in groups:
        env = {"DATABASE_URL": url["1m"]}
        # Once each, no warm-up: at 1M some take over a minute on this machine (see
        # docs/performance.md), so repetitions would take most of an hour.
        results += run_script(
            env, [PY, "bench/dashboards.py", "--runs", "1", "--no-warm", "--label", "1M"], log=log
        )
    if "summary" in groups:
        env = {"DATABASE_URL": url["1m"]}
        results += run_script(env, [PY, "bench/metrics_summary.py", "--runs", str(runs)], log=log)
    if "sla" in groups:
        env = {"DATABASE_URL": work_url}
        results += run_script(
            env,
            [PY, "bench/sla_sweep.py", "--tickets", "100000", "--due", "1000",
             "--runs", str(max(runs, 3))],
            log=log,
        )  # fmt: skip
    if "rules" in groups:
        env = {"DATABASE_URL": work_url}
        results += run_text(
            env,
            [PY, "bench/rules_routing.py", "--rules", "200", "--messages", "20" if q else "100",
             "--runs", str(runs)],
            log=log,
            patterns={
                "rules: pure evaluation of 200 rules, per message": (
                    r"pure evaluation of \d+ rules \(no database\): ([\d.]+) ms", "< 5 ms"),
                "rules + routing with their writes, per message (200 rules)": (
                    r"rules\+routing:\s+([\d.]+) ms", "< 5 ms"),
                "whole receive() per message (200 rules)": (
                    r"whole receive\(\):\s+([\d.]+) ms", ""),
            },
        )  # fmt: skip
    if "import" in groups:
        if (ROOT / "bench/import_tickets.py").exists():
            env = {"DATABASE_URL": work_url}
            tickets = "10000" if q else "100000"
            results += run_script(
                env, [PY, "bench/import_tickets.py", "--tickets", tickets], log=log
            )
        else:
            print("bench/import_tickets.py is not there: the import figure is skipped")

    finished = datetime.now(UTC)
    info.update(
        finished=finished.isoformat(),
        loadavg_after=machine()["loadavg"],
        runs=runs,
        quick=q,
        seeding_seconds=seeding,
    )
    # Runs of part of the groups (--only) on the same day add to that day's results: a
    # figure measured again replaces its earlier value.
    json_path = Path(args.out) / f"{stamp}.json"
    if json_path.exists():
        earlier = json.loads(json_path.read_text())
        names = {f["figure"] for f in results}
        commands = {f["command"] for f in results}  # a command run again supersedes its rows
        results = [
            f
            for f in earlier["figures"]
            if f["figure"] not in names and f["command"] not in commands
        ] + results
        info["earlier_runs"] = [*earlier["machine"].get("earlier_runs", []), earlier["machine"]]
        info["earlier_runs"][-1].pop("earlier_runs", None)
    text = table(results, markdown=False)
    print("\n" + text)
    md = table(results, markdown=True)
    json_path.write_text(json.dumps({"machine": info, "figures": results}, indent=1, default=str))
    header = (
        f"Run {started:%Y-%m-%d %H:%M}–{finished:%H:%M} UTC, {info['nproc']} cores, "
        f"{info['ram_gib']} GiB RAM, PostgreSQL {info['postgresql']}, Redis {info['redis']}, "
        f"load average {info['loadavg']} before and {info['loadavg_after']} after; "
        f"median of {runs} run(s){' (quick)' if q else ''}."
    )
    (Path(args.out) / f"{stamp}.md").write_text(header + "\n\n" + md + "\n")
    print(f"\nwritten: {args.out}/{stamp}.json and {stamp}.md")
    failed = [f["figure"] for f in results if verdict(f) == "FAIL"]
    if failed:
        print(f"{len(failed)} figure(s) miss their target: " + "; ".join(failed))


if __name__ == "__main__":
    main()
