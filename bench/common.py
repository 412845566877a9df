"""Small helpers shared by the bench scripts: statistics, process memory, JSON results.

Each figure is a dict: {"figure", "target", "unit", "median", "p99", "runs", "extra"}; a
script given `--json PATH` writes its list of figures there, so `bench/run.py` gathers them
without parsing printed text.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (p99 of 200 values is the 198th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def figure(
    name: str,
    *,
    unit: str,
    runs: list[float],
    target: str = "",
    p99: float | None = None,
    **extra,
) -> dict:
    return {
        "figure": name,
        "target": target,
        "unit": unit,
        "median": median(runs),
        "p99": p99,
        "runs": [round(r, 3) for r in runs],
        "extra": extra,
    }


def write_json(path: str | None, figures: list[dict]) -> None:
    if path:
        Path(path).write_text(json.dumps(figures, indent=1, default=str))


def rss_kib(pid: int) -> int | None:
    """Resident set size of a process in KiB, from /proc (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def process_tree(root: int) -> list[tuple[int, str]]:
    """(pid, command line) of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the ppid follows it.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        found.append((pid, cmd))
        stack.extend(children.get(pid, []))
    return found


def machine() -> dict:
    """nproc, RAM and the load average, for the record of every run."""
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    load = os.getloadavg()
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "loadavg": [round(x, 2) for x in load],
    }
