"""Browser tests of the security work: Playwright in Debian's Chromium (tests/e2e's fixtures).

Every page opened here records Content-Security-Policy violations (the browser's
`securitypolicyviolation` events and its console reports) and whether an injected script
ran (XSS payloads call window.__xss()).
"""

from __future__ import annotations

import contextlib

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.e2e.conftest import (  # noqa: F401  (fixtures used by the tests here)
    ARTIFACTS,
    VIEWPORT,
    _allow_async_unsafe,
    browser,
)

WATCH = """
window.__csp = [];
window.__xssFired = [];
window.__xss = function (marker) { window.__xssFired.push(String(marker)); };
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' +
                    (e.sourceFile || '') + ':' + (e.lineNumber || ''));
});
"""


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.e2e)


@pytest.fixture
def signed_in(browser, live_server):  # noqa: F811
    """open(user) -> a Playwright page signed in as `user` that records violations."""
    contexts = []

    def _open(user):
        context = browser.new_context(viewport=VIEWPORT, locale="en-US")
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            name = django_settings.SESSION_COOKIE_NAME
            cookie = client.cookies[name].value
            context.add_cookies([{"name": name, "value": cookie, "url": live_server.url}])
        context.add_init_script(WATCH)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.console_csp = []
        page.js_errors = []
        page.on(
            "console",
            lambda msg: (
                page.console_csp.append(msg.text)
                if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
                else None
            ),
        )
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        return page

    yield _open
    for context in contexts:
        with contextlib.suppress(Exception):  # already closed by the test
            context.close()


def violations(page) -> list[str]:
    return list(page.evaluate("window.__csp || []")) + list(page.console_csp)


def xss_fired(page) -> list[str]:
    return list(page.evaluate("window.__xssFired || []"))


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
