"""The pages satisfy the Content-Security-Policy: Chromium reports no violation on any of
them (no inline script, no inline style attribute, nothing from another origin)."""

from __future__ import annotations

import pytest

from tests.factories.tickets import MessageFactory, TagFactory
from tests.security.browser.conftest import shot, violations

pytestmark = pytest.mark.django_db(transaction=True)


def _pages(world):
    return [
        ("operator", "/"),
        ("operator", f"/tickets/{world.ticket.pk}/"),
        ("operator", "/preferences/"),
        ("manager", "/dashboards/sla/"),
        ("manager", "/dashboards/operations/"),
        ("manager", "/dashboards/quality/"),
        ("manager", "/dashboards/roi/"),
        ("manager", "/dashboards/staffing/"),
        ("admin", "/settings/rules/"),
        ("admin", "/settings/rules/new/"),
        ("admin", "/api/docs/"),
        ("admin", "/admin/"),
        ("admin", "/admin/tickets/channel/"),
        ("admin", f"/admin/tickets/ticket/{world.ticket.pk}/change/"),
        (None, "/login/"),
        (None, f"/webchat/demo/{world.webchat.pk}/"),
    ]


def test_pages_raise_no_csp_violation(world, signed_in, live_server):
    tag = TagFactory(name="vip", color="#d63384")
    world.ticket.tags.add(tag)
    MessageFactory(ticket=world.ticket, text="Where is my parcel?")
    problems = {}
    for role, path in _pages(world):
        user = world.users[role] if role else None
        page = signed_in(user)
        response = page.goto(live_server.url + path)
        assert response.status < 400, f"{path}: {response.status}"
        page.wait_for_load_state("networkidle")
        found = violations(page)
        csp = response.headers.get("content-security-policy", "")
        if "script-src 'self'" not in csp:
            found.append(f"no policy on the response: {csp!r}")
        if found:
            problems[path] = found
        shot(page, "csp-" + path.strip("/").replace("/", "-") or "queue")
        page.context.close()
    report = "\n".join(f"{path}:\n  " + "\n  ".join(found) for path, found in problems.items())
    assert not problems, report
