"""Playwright in Debian's Chromium against pytest-django's live server (WSGI, no websockets).

The module is skipped when /usr/bin/chromium is missing, unless HELPDESK_REQUIRE_CHROMIUM=1.
The browser is Debian's Chromium from apt; Playwright never downloads one here.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module", autouse=True)
def _allow_async_unsafe():
    """Playwright's sync API runs an event loop in this thread; the ORM would refuse to run.

    Only for the e2e modules: the rest of the suite keeps Django's async-safety check.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


# Module scope: Playwright's event loop must be gone before other tests use async_to_sync.
@pytest.fixture(scope="module")
def browser(_allow_async_unsafe):
    if not CHROMIUM.exists():
        if os.environ.get("HELPDESK_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"{CHROMIUM} is missing and HELPDESK_REQUIRE_CHROMIUM=1", pytrace=False)
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """Depends on live_server so the browser closes (and its last work-session beacon is
    answered) before the live server and the test database go away."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    page.goto("about:blank")  # pagehide: the final beacon is sent and answered now
    page.wait_for_timeout(150)
    context.close()


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def _shot(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return _shot
