"""The production path for real: a webhook journaled by the web process, processed by a
separate Celery worker over Redis, and the reply delivered by that worker.

Runs only when DATABASE_URL and REDIS_URL are set (CI's second pass).
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from channels_in.adapters.base import SIGNATURE_HEADER, hmac_hex
from tests.factories.tickets import ChannelFactory
from tests.http_sink import Sink
from tickets.models import DeliveryStatus, Message, Ticket
from tickets.services import ticket_reply

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
        reason="needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout=30.0):
    """Poll a condition the separate worker process makes true; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if predicate():
            return
        pause.wait(0.1)
    raise AssertionError("the worker did not finish in time")


@pytest.fixture
def real_broker():
    from helpdesk.celery import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def worker(real_broker):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL}
    # A queue of its own so a stray worker elsewhere never takes these tasks.
    queue = f"test-{os.getpid()}"
    env["CELERY_TASK_DEFAULT_QUEUE"] = queue
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool=solo",
         "--concurrency=1", "--loglevel=warning", "-Q", queue, "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    from helpdesk.celery import app

    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    app.control.purge()
    try:
        yield process
    finally:
        app.conf.task_default_queue = previous
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_webhook_is_processed_and_reply_delivered_by_a_separate_worker(worker, client, operator):
    with Sink() as sink:
        channel = ChannelFactory(secret="s", config={"callback_url": sink.url})
        body = json.dumps(
            {
                "external_user_id": "w-1",
                "name": "Worker Test",
                "external_message_id": "w-m-1",
                "text": "Is my parcel lost?",
            }
        ).encode()
        response = client.post(
            f"/webhooks/generic/{channel.pk}/",
            data=body,
            content_type="application/json",
            headers={SIGNATURE_HEADER: "sha256=" + hmac_hex("s", body)},
        )
        assert response.status_code == 200

        wait_for(lambda: Ticket.objects.filter(channel=channel).exists())
        ticket = Ticket.objects.get(channel=channel)
        assert ticket.messages.get().text == "Is my parcel lost?"

        reply = ticket_reply(ticket=ticket, author=operator, text="No, it is on its way.")
        wait_for(lambda: Message.objects.get(pk=reply.pk).delivery_status == DeliveryStatus.SENT)
        assert json.loads(sink.requests[0]["body"])["text"] == "No, it is on its way."
