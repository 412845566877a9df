"""A plain-text progress bar for a terminal: rewritten in place with \\r, no dependency."""

from __future__ import annotations

import sys
import time


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class ProgressBar:
    """Call with (done, total); draws `[#####.....] 52% 520000/1000000 tickets 8,400/s ETA 57s`."""

    def __init__(self, stream=None, width: int = 30, label: str = "tickets", every: float = 0.2):
        self.stream = stream or sys.stderr
        self.width = width
        self.label = label
        self.every = every
        self.started = time.monotonic()
        self.last_draw = 0.0

    def line(self, done: int, total: int, elapsed: float) -> str:
        share = done / total if total else 1.0
        filled = int(self.width * share)
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = _duration((total - done) / rate) if rate > 0 else "?"
        bar = "#" * filled + "." * (self.width - filled)
        return f"[{bar}] {share * 100:3.0f}% {done}/{total} {self.label} {rate:,.0f}/s ETA {eta}"

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if not finished and now - self.last_draw < self.every:
            return
        self.last_draw = now
        self.stream.write("\r" + self.line(done, total, now - self.started))
        if finished:
            self.stream.write("\n")
        self.stream.flush()
