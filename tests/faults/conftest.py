"""Fault tests: real processes on a PostgreSQL cluster and a Redis of their own.

They run with `make faults` (HELPDESK_FAULTS=1), which CI calls; a plain `pytest` skips
them because they start servers and take a few minutes. They never touch the shared
PostgreSQL or Redis named in DATABASE_URL / REDIS_URL.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import httpx
import pytest

from channels_in.adapters.base import SIGNATURE_HEADER, hmac_hex
from tests.faults.stack import PG_BIN, Stack

ENABLED = os.environ.get("HELPDESK_FAULTS") == "1"


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: kills and restarts real servers (make faults)")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.faults)
            if not ENABLED:
                item.add_marker(pytest.mark.skip(reason="fault tests run with `make faults`"))


@pytest.fixture(scope="session")
def stack():
    missing = [
        what
        for what, ok in (
            ("initdb", (PG_BIN / "initdb").exists()),
            ("redis-server", shutil.which("redis-server")),
        )
        if not ok
    ]
    if missing:
        pytest.fail(f"fault tests need {', '.join(missing)}", pytrace=False)
    stack = Stack()
    try:
        yield stack.up()
    finally:
        stack.down()


@pytest.fixture
def procs(stack):
    """Processes started by one test are stopped at its end."""
    before = len(stack.procs)
    yield stack
    for proc in stack.procs[before:]:
        proc.stop()
    del stack.procs[before:]


def make_channel(stack: Stack, kind: str = "generic", **config) -> dict:
    return stack.django(
        "from channels_in.services import channel_create\n"
        f"c = channel_create(kind={kind!r}, name='faults', config={config!r}, "
        "secret='fault-secret')\n"
        "result = {'id': c.pk, 'secret': c.secret}"
    )


def generic_body(external_id: str, *, user: str = "cust-1", text: str = "Where is my order?"):
    return json.dumps(
        {
            "external_user_id": user,
            "name": "Fault Tester",
            "external_message_id": external_id,
            "text": text,
        }
    ).encode()


def post_generic(base: str, channel: dict, body: bytes, timeout: float = 10.0) -> httpx.Response:
    return httpx.post(
        f"{base}/webhooks/generic/{channel['id']}/",
        content=body,
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: "sha256=" + hmac_hex(channel["secret"], body),
        },
        timeout=timeout,
    )
