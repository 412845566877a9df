"""One HTTP POST of a webhook body, reduced to what the delivery log keeps."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import httpx

RESPONSE_EXCERPT = 2000


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None: no HTTP answer (network error, timeout)
    response_excerpt: str
    duration_ms: int
    error: str


_clients: dict[int, httpx.Client] = {}
_clients_lock = threading.Lock()


def _client() -> httpx.Client:
    """One client per process, shared by its threads: building the TLS context costs far
    more than a local POST, and kept-alive connections spare the receiver handshakes. Keyed
    by process id, so a forked worker never uses its parent's sockets."""
    pid = os.getpid()
    client = _clients.get(pid)
    if client is None:
        with _clients_lock:
            client = _clients.get(pid)
            if client is None:
                client = httpx.Client(follow_redirects=False)
                _clients.clear()
                _clients[pid] = client
    return client


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST without following redirects (a redirect is an answer, not a success)."""
    started = time.monotonic()
    try:
        with _client().stream(
            "POST", url, content=body, headers=headers, timeout=timeout
        ) as response:
            text = _excerpt(response)
    except httpx.TimeoutException as exc:
        return Outcome(None, "", _ms(started), f"Timed out after {timeout:g} s ({exc}).")
    except httpx.HTTPError as exc:
        return Outcome(None, "", _ms(started), f"{type(exc).__name__}: {exc}"[:2000])
    error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return Outcome(response.status_code, text, _ms(started), error)


def _excerpt(response: httpx.Response) -> str:
    """The start of the answer; a huge answer is never read whole."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_EXCERPT * 4:
            break
    raw = b"".join(chunks)
    return raw.decode(response.encoding or "utf-8", errors="replace")[:RESPONSE_EXCERPT]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
