"""An outbound channel endpoint down: the reply is retried, then marked failed with the
error for the operator to see (API and page data); after the endpoint returns the operator
retries and the reply is delivered once."""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.faults.conftest import generic_body, make_channel, post_generic
from tests.faults.stack import Stack, free_port, wait_for

MAX_ATTEMPTS = 3


class Endpoint:
    """The channel's callback endpoint on a fixed port, started only when it "comes back"."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bodies: list[dict] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                endpoint.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"external_message_id": "bridge-1"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _message(stack: Stack, message_id: int) -> tuple[str, int, str]:
    return stack.sql(
        "SELECT delivery_status, delivery_attempts, delivery_error FROM tickets_message "
        "WHERE id = %s",
        (message_id,),
    )[0]


def test_a_reply_to_a_dead_endpoint_fails_visibly_and_the_operator_retries_it(procs):
    stack = procs
    port = free_port()
    channel = make_channel(stack, callback_url=f"http://127.0.0.1:{port}/hook")
    env = {"OUTBOUND_MAX_ATTEMPTS": str(MAX_ATTEMPTS), "OUTBOUND_TIMEOUT_SECONDS": "2"}
    _web, base = stack.web(**env)
    worker = stack.worker(**env)
    stack.beat(OUTBOUND_RETRY_INTERVAL="1", **env)

    assert post_generic(base, channel, generic_body("out-1", user="out-cust")).status_code == 200
    ticket_id = wait_for(
        lambda: stack.scalar("SELECT ticket_id FROM tickets_message WHERE external_id = 'out-1'"),
        what="the ticket",
    )
    csrf = secrets.token_hex(16)
    login = stack.django(
        "from importlib import import_module\n"
        "from django.conf import settings\n"
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY\n"
        "from rest_framework.authtoken.models import Token\n"
        "from tests.factories.tickets import UserFactory\n"
        "from tickets.models import Ticket\n"
        "from tickets.services import ticket_reply\n"
        "user = UserFactory(username='olga', role='operator')\n"
        "session = import_module(settings.SESSION_ENGINE).SessionStore()\n"
        "session[SESSION_KEY] = str(user.pk)\n"
        "session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]\n"
        "session[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "session.create()\n"
        f"ticket = Ticket.objects.get(pk={ticket_id})\n"
        "reply = ticket_reply(ticket=ticket, author=user, text='Your parcel left today.')\n"
        "result = {'token': Token.objects.create(user=user).key, "
        "'session': session.session_key, 'message': reply.pk}",
        **env,
    )
    message_id = login["message"]

    # Retries, pushed forward instead of waiting out the backoff (15 s, 30 s, ...).
    def failed() -> bool:
        stack.sql(
            "UPDATE tickets_message SET next_attempt_at = now() "
            "WHERE id = %s AND delivery_status = 'retrying'",
            (message_id,),
        )
        return _message(stack, message_id)[0] == "failed"

    wait_for(failed, timeout=90, step=0.5, what=f"the failed status\n{worker.log()}")
    _status, attempts, error = _message(stack, message_id)
    assert attempts == MAX_ATTEMPTS
    assert "Could not reach" in error

    # The operator sees it.
    api = httpx.get(
        f"{base}/api/tickets/{ticket_id}/",
        headers={"Authorization": f"Token {login['token']}"},
        timeout=10,
    )
    assert api.status_code == 200, api.text
    shown = next(m for m in api.json()["messages"] if m["id"] == message_id)
    assert shown["delivery_status"] == "failed"
    assert "Could not reach" in shown["delivery_error"]

    # The endpoint comes back; the operator presses "retry" on the ticket page.
    endpoint = Endpoint(port)
    try:
        origin = base.replace("http://", "https://")
        retry = httpx.post(
            f"{base}/tickets/{ticket_id}/messages/{message_id}/retry/",
            headers={
                "Cookie": f"sessionid={login['session']}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "X-Forwarded-Proto": "https",
                "Origin": origin,
                "Referer": f"{origin}/tickets/{ticket_id}/",
            },
            timeout=10,
        )
        assert retry.status_code == 302, retry.text[:500]
        assert retry.headers["Location"] == f"/tickets/{ticket_id}/", retry.headers
        wait_for(
            lambda: _message(stack, message_id)[0] == "sent",
            timeout=30,
            what=f"delivery after the retry\n{worker.log()}",
        )
        assert [b["text"] for b in endpoint.bodies] == ["Your parcel left today."]
        assert _message(stack, message_id)[1] == 1  # attempts counted afresh
        events = stack.scalar(
            "SELECT count(*) FROM tickets_ticketevent WHERE ticket_id = %s "
            "AND kind = 'delivery_retried'",
            (ticket_id,),
        )
        assert events == 1
    finally:
        endpoint.close()
