"""The web-chat widget end to end: Chromium on the demo page (and on a "customer site" of
another origin) against a real ASGI server (daphne), an operator in a second browser context.

The server runs on the embedded default (its own SQLite file, in-memory channel layer), like
tests/e2e/test_live_websocket.py, whose helpers this module reuses.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, VIEWPORT
from tests.e2e.test_live_websocket import ROOT, _free_port, _operator_page

SEED = """
from tests.factories.tickets import ChannelFactory, UserFactory
UserFactory(username="olga", first_name="Olga", last_name="Petrova", role="operator")
channel = ChannelFactory(
    kind="webchat", name="Acme chat", secret="webchat-secret",
    config={{"allowed_origins": ["{shop}"]}},
)
print(channel.pk)
"""


class _ShopPage(BaseHTTPRequestHandler):
    """A customer's website on another origin, embedding the widget with the one tag."""

    site: dict = {}

    def do_GET(self):
        body = (
            "<!doctype html><html lang='en'><head><title>Acme shop</title></head><body>"
            "<h1>Acme shop</h1><p>Fresh coffee, roasted daily.</p>"
            f'<script src="{self.site["desk"]}/static/webchat/widget.js"'
            f' data-channel="{self.site["channel"]}" data-title="Ask Acme" async></script>'
            "</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def shop():
    """Served on 127.0.0.1 (listed in the channel's allowed origins) and reachable as
    localhost too: the same page from an origin that is not on the list."""
    port = _free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _ShopPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"allowed": f"http://127.0.0.1:{port}", "refused": f"http://localhost:{port}"}
    server.shutdown()
    server.server_close()


@pytest.fixture
def webchat_server(tmp_path, shop):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(HELPDESK_VAR_DIR=str(tmp_path), HELPDESK_TICKER="0", DEBUG="1")
    env.pop("SECRET_KEY", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seeded = subprocess.run(
        [*manage, "shell", "-c", SEED.format(shop=shop["allowed"])],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    channel_id = int(seeded.stdout.decode().strip().splitlines()[-1])
    port = _free_port()
    log_path = tmp_path / "daphne.log"
    log = log_path.open("wb")
    daphne = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(
        [sys.executable, *daphne, "helpdesk.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.terminate()
        pytest.fail("daphne did not start: " + log_path.read_text())
    _ShopPage.site = {"desk": f"http://127.0.0.1:{port}", "channel": channel_id}
    yield f"http://127.0.0.1:{port}", channel_id
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def _visitor_page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return page


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), animations="disabled")


def _api_token(url: str) -> str:
    response = httpx.post(
        f"{url}/api/auth/token/", json={"username": "olga", "password": "s3cret-pass-word"}
    )
    response.raise_for_status()
    return response.json()["token"]


def test_visitor_and_operator_talk_through_the_widget(browser, webchat_server):
    url, channel_id = webchat_server
    visitor = _visitor_page(browser)
    visitor.goto(f"{url}/webchat/demo/{channel_id}/")

    bubble = visitor.get_by_role("button", name="Open chat: Acme chat")
    bubble.click()
    assert bubble.get_attribute("aria-expanded") == "true"
    name = visitor.get_by_label("Name")
    assert name.evaluate("el => el === el.getRootNode().activeElement")
    name.fill("Anna <b>Visitor</b>")
    visitor.get_by_label("Email").fill("anna@example.com")
    visitor.get_by_role("button", name="Start chat").click()
    visitor.get_by_label("Message").fill(
        "Hi! Where is my order #1042? <img src=x onerror=alert(1)>"
    )
    visitor.keyboard.press("Enter")
    visitor.locator(".hdw-mine:not(.hdw-pending)", has_text="Where is my order").wait_for()
    visitor.locator(".hdw-status.hdw-online").wait_for()

    # The operator's queue shows the new web-chat ticket.
    olga = _operator_page(browser, url, "olga")
    row = olga.locator("a.queue-row", has_text="Anna <b>Visitor</b>")
    row.wait_for()
    assert "Where is my order" in row.inner_text()
    ticket_id = int(row.get_attribute("data-ticket-id"))
    row.click()
    olga.wait_for_url(f"{url}/tickets/{ticket_id}/")
    olga.locator("#conversation", has_text="Where is my order").wait_for()

    # An operator typing shows in the widget (the workspace would call this endpoint).
    olga.evaluate(
        """id => fetch(`/webchat/typing/${id}/`, {method: "POST", headers: {"X-CSRFToken":
            JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]}})""",
        ticket_id,
    )
    visitor.locator(".hdw-typing", has_text="Olga is typing").wait_for()

    # The reply, posted through the ticket page, appears in the widget live.
    olga.fill("#reply-text", "Hello Anna, it ships <today>!")
    olga.keyboard.press("Control+Enter")
    reply = visitor.locator(".hdw-theirs", has_text="Hello Anna, it ships <today>!")
    reply.wait_for()
    assert reply.locator(".hdw-author").inner_text() == "Olga"
    visitor.locator(".hdw-typing").wait_for(state="hidden")

    # An internal note never reaches the visitor, not even after a reload.
    token = _api_token(url)
    httpx.post(
        f"{url}/api/tickets/{ticket_id}/reply/",
        json={"text": "Internal: VIP customer", "internal": True},
        headers={"Authorization": f"Token {token}"},
    ).raise_for_status()

    visitor.reload()
    visitor.locator(".hdw-theirs", has_text="it ships").wait_for()
    visitor.locator(".hdw-mine", has_text="Where is my order").wait_for()
    log = visitor.locator(".hdw-log")
    assert "VIP" not in log.inner_text()
    assert log.locator("img").count() == 0  # customer text stayed text
    assert visitor.locator(".hdw-intro").is_hidden()  # same visitor, no new form
    _shot(visitor, "webchat-widget")
    assert visitor.js_errors == []
    olga.context.close()
    visitor.context.close()


def test_customer_site_of_another_origin_falls_back_to_polling(browser, webchat_server, shop):
    url, _channel_id = webchat_server
    visitor = _visitor_page(browser)
    # No websocket in this browser: the widget must work over plain HTTP polling.
    visitor.add_init_script("delete window.WebSocket;")
    visitor.goto(shop["allowed"] + "/")

    visitor.get_by_role("button", name="Open chat: Ask Acme").click()
    visitor.get_by_role("button", name="Start chat").click()
    visitor.get_by_label("Message").fill("Polling hello")
    visitor.get_by_role("button", name="Send").click()
    visitor.locator(".hdw-mine:not(.hdw-pending)", has_text="Polling hello").wait_for()

    token = _api_token(url)
    headers = {"Authorization": f"Token {token}"}
    tickets = httpx.get(f"{url}/api/tickets/", headers=headers).json()["results"]
    (ticket,) = tickets
    httpx.post(
        f"{url}/api/tickets/{ticket['id']}/reply/",
        json={"text": "Reply by polling"},
        headers=headers,
    ).raise_for_status()
    visitor.locator(".hdw-theirs", has_text="Reply by polling").wait_for()
    _shot(visitor, "webchat-widget-cross-origin")
    assert visitor.js_errors == []
    visitor.context.close()


def test_a_site_not_on_the_channel_list_cannot_chat(browser, webchat_server, shop):
    visitor = _visitor_page(browser)
    visitor.goto(shop["refused"] + "/")
    visitor.get_by_role("button", name="Open chat: Ask Acme").click()
    visitor.get_by_role("button", name="Start chat").click()
    # The server refuses (403, no CORS headers), so the page cannot even read why.
    visitor.locator(".hdw-alert", has_text="Something went wrong").wait_for()
    assert visitor.locator(".hdw-composer").is_hidden()
    visitor.context.close()
