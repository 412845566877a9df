"""IMAP polling: fetch UNSEEN mail, hand each raw message to `store`, then mark it seen.

`BODY.PEEK[]` leaves the message unseen until `store` returned (the journal row is
committed), so a crash in between means the mail is fetched again next time and the
journal's dedupe key drops the repeat: nothing is lost, nothing is stored twice.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 200


def _connect(config: dict) -> imaplib.IMAP4:
    host = config["host"]
    use_ssl = config.get("use_ssl", True)
    port = int(config.get("port") or (993 if use_ssl else 143))
    timeout = float(config.get("timeout") or 30)
    if use_ssl:
        return imaplib.IMAP4_SSL(host, port, timeout=timeout)
    return imaplib.IMAP4(host, port, timeout=timeout)


def _raw(data: list) -> bytes | None:
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll(*, config: dict, store: Callable[[bytes], None], batch: int = DEFAULT_BATCH) -> int:
    """Fetch up to `batch` unseen messages of the configured folder. Returns how many were
    stored. IMAP errors propagate (the task logs them and tries again at the next tick)."""
    client = _connect(config)
    stored = 0
    try:
        client.login(config.get("username") or "", config.get("password") or "")
        status, _ = client.select(config.get("folder") or "INBOX")
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select folder {config.get('folder')!r}")
        status, data = client.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split() if status == "OK" and data else []
        for uid in uids[:batch]:
            status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = _raw(fetched) if status == "OK" else None
            if raw is None:
                logger.warning("IMAP message %s could not be fetched", uid)
                continue
            store(raw)  # journalled and committed before the flag is set
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            stored += 1
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return stored
