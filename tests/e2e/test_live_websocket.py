"""Live updates end to end: a real ASGI server (daphne), two operators, one websocket each.

The live server fixture of pytest-django speaks WSGI only, so this test starts daphne in a
subprocess on the embedded default (its own SQLite file in a temporary directory, in-memory
channel layer); DATABASE_URL and REDIS_URL are removed so it never touches a real database.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SEED = """
from tests.factories.tickets import MessageFactory, TicketFactory, UserFactory
UserFactory(username="olga", first_name="Olga", last_name="Petrova", role="operator")
UserFactory(username="petr", first_name="Petr", last_name="Ivanov", role="operator")
ticket = TicketFactory(subject="Live ticket")
MessageFactory(ticket=ticket, text="Hello, anyone there?")
MessageFactory(ticket=ticket, text="Also, my invoice is wrong")
print(ticket.pk)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def asgi_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(HELPDESK_VAR_DIR=str(tmp_path), HELPDESK_TICKER="0", DEBUG="1")
    env.pop("SECRET_KEY", None)
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seeded = subprocess.run(
        [*manage, "shell", "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True
    )
    ticket_id = int(seeded.stdout.decode().strip().splitlines()[-1])
    port = _free_port()
    log = (tmp_path / "daphne.log").open("wb")
    server = subprocess.Popen(
        [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.terminate()
        pytest.fail("daphne did not start: " + (tmp_path / "daphne.log").read_text())
    yield url, ticket_id
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def _operator_page(browser, url, username):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)  # a loaded 2-core CI machine runs daphne and two browsers
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "s3cret-pass-word")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def test_changes_by_one_operator_appear_live_for_another(browser, asgi_server):
    url, ticket_id = asgi_server
    olga = _operator_page(browser, url, "olga")
    petr = _operator_page(browser, url, "petr")
    olga.locator("#live-status.online").wait_for()

    # Petr raises the priority: Olga's queue counts update without a reload.
    petr.goto(f"{url}/tickets/{ticket_id}/")
    petr.select_option("#t-priority", "urgent")
    petr.locator("#t-priority option[value=urgent][selected]").wait_for(state="attached")
    olga.locator('#queue-views [data-view="high"] [data-count]', has_text="1").wait_for()

    # Olga watches the ticket: she sees Petr there, then typing (collision detection).
    olga.goto(f"{url}/tickets/{ticket_id}/")
    olga.locator("#live-status.online").wait_for()
    olga.locator("#presence", has_text="Petr Ivanov is viewing").wait_for()
    olga.fill("#reply-text", "Olga's draft")
    petr.locator("#presence", has_text="Olga Petrova is").wait_for()
    petr.fill("#reply-text", "Live reply from Petr")
    olga.locator("#presence", has_text="Petr Ivanov is typing").wait_for()
    olga.screenshot(path=str(ARTIFACTS / "10-collision.png"))

    # Petr's reply appears in her conversation, with a warning since she was writing too.
    petr.keyboard.press("Control+Enter")
    olga.locator("#conversation", has_text="Live reply from Petr").wait_for()
    olga.locator("#presence", has_text="replied meanwhile").wait_for()
    olga.locator("#ticket-events-count", has_text="(3)").wait_for(state="attached")
    # Sending anyway needs a confirmation: the server saw the newer reply.
    olga.keyboard.press("Control+Enter")
    olga.locator("#reply-error", has_text="wrote meanwhile").wait_for()
    olga.screenshot(path=str(ARTIFACTS / "11-collision-confirm.png"))

    # Olga goes back to the queue; Petr splits a message off: the new ticket appears live.
    olga.goto(f"{url}/?view=all")
    olga.locator("#live-status.online").wait_for()
    petr.goto(f"{url}/tickets/{ticket_id}/")
    petr.locator(".msg", has_text="Also, my invoice is wrong").locator(".split-btn").click()
    petr.wait_for_url(lambda u: f"/tickets/{ticket_id}/" not in u)
    olga.locator(".queue-row", has_text="Also, my invoice is wrong").wait_for()
    olga.screenshot(path=str(ARTIFACTS / "12-live-new-ticket.png"))
    petr.context.close()
    olga.context.close()
