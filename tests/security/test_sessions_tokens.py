"""Sessions and API tokens expire; sign-in locks after repeated failures; weak passwords are
refused; every form needs its CSRF token."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.factories.tickets import UserFactory
from tests.security.conftest import client_for
from tests.security.test_access_walk import all_routes, concrete_url, rule_for

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "s3cret-pass-word"


@pytest.fixture(autouse=True)
def _clean_counters():
    cache.clear()
    yield
    cache.clear()


def _settings_value(name: str, **env) -> str:
    """A setting as a fresh process computes it from the given environment."""
    code = (
        f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", **env},
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


# --- sessions ------------------------------------------------------------------------------


def test_session_lifetime_and_browser_close_come_from_the_environment():
    assert _settings_value("SESSION_COOKIE_AGE", SESSION_COOKIE_AGE="600") == "600"
    assert _settings_value("SESSION_EXPIRE_AT_BROWSER_CLOSE") == "False"
    closing = {"SESSION_EXPIRE_AT_BROWSER_CLOSE": "1"}
    assert _settings_value("SESSION_EXPIRE_AT_BROWSER_CLOSE", **closing) == "True"
    assert _settings_value("API_TOKEN_TTL", API_TOKEN_TTL="3600") == "3600"


def test_session_expires_after_its_age(db, settings):
    settings.SESSION_COOKIE_AGE = 3600
    UserFactory(username="olga", role="operator")
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        response = client.post("/login/", {"username": "olga", "password": PASSWORD})
        assert response.status_code == 302
        cookie = client.cookies["sessionid"]
        assert int(cookie["max-age"]) == 3600
        assert client.get("/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=59), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=61), tick=False):
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_session_cookie_can_end_with_the_browser(db, settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    UserFactory(username="olga", role="operator")
    client = Client()
    client.post("/login/", {"username": "olga", "password": PASSWORD})
    cookie = client.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert cookie["httponly"]


# --- API tokens ----------------------------------------------------------------------------


def _token(client, username="olga"):
    response = client.post(
        "/api/auth/token/",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_expired_token_is_refused_with_json_and_a_fresh_one_is_issued(db, settings):
    settings.API_TOKEN_TTL = 3600
    UserFactory(username="olga", role="operator")
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        key = _token(client)
        assert _token(client) == key  # still valid: the same token
        ok = client.get("/api/tickets/", headers={"Authorization": f"Token {key}"})
        assert ok.status_code == 200
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        expired = client.get("/api/tickets/", headers={"Authorization": f"Token {key}"})
        assert expired.status_code == 401
        body = expired.json()
        assert "error" in body and "expired" in str(body["error"]).lower()
        fresh = _token(client)
        assert fresh != key
        assert not Token.objects.filter(key=key).exists()
        again = client.get("/api/tickets/", headers={"Authorization": f"Token {fresh}"})
        assert again.status_code == 200


def test_zero_ttl_keeps_tokens(db, settings):
    settings.API_TOKEN_TTL = 0
    user = UserFactory(username="olga", role="operator")
    token = Token.objects.create(user=user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - datetime.timedelta(days=900))
    response = Client().get("/api/tickets/", headers={"Authorization": f"Token {token.key}"})
    assert response.status_code == 200


# --- login throttling ----------------------------------------------------------------------


WRONG = "wrong-password"


def _login(client, username="olga", password=WRONG, path="/login/"):
    return client.post(path, {"username": username, "password": password})


def test_five_failures_lock_the_username_with_a_clear_message(db, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_WINDOW = 900
    UserFactory(username="olga", role="operator")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            response = _login(Client(REMOTE_ADDR=f"10.0.0.{_ + 1}"))
            assert response.status_code == 200
            assert "Too many failed" not in response.content.decode()
        # The right password from a new address: still locked, and the page says why.
        response = _login(Client(REMOTE_ADDR="10.0.0.99"), password=PASSWORD)
        assert response.status_code == 200
        assert "Too many failed sign-in attempts. Try again in 15 minutes." in (
            response.content.decode()
        )
        assert "_auth_user_id" not in response.wsgi_request.session
        # The API token endpoint is locked too.
        api = Client().post(
            "/api/auth/token/",
            {"username": "olga", "password": PASSWORD},
            content_type="application/json",
        )
        assert api.status_code == 400


def test_the_lock_ends_with_its_window(db, settings):
    # The in-memory cache follows the test clock; Redis keeps real time for its expiry.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_FAILURE_WINDOW = 900
    UserFactory(username="olga", role="operator")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(2):
            _login(Client(REMOTE_ADDR="10.0.0.1"))
        assert _login(Client(REMOTE_ADDR="10.0.0.2"), password=PASSWORD).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        assert _login(Client(REMOTE_ADDR="10.0.0.2"), password=PASSWORD).status_code == 302


def test_failures_from_one_address_lock_that_address(db, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    UserFactory(username="olga", role="operator")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(5):
        _login(attacker, username=f"guess{i}")
    response = _login(attacker, username="olga", password=PASSWORD)
    assert "Too many failed" in response.content.decode()
    # Someone else, elsewhere, signs in normally.
    assert _login(Client(REMOTE_ADDR="198.51.100.1"), password=PASSWORD).status_code == 302


def test_success_resets_the_username_counter(db, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    UserFactory(username="olga", role="operator")
    for _ in range(2):
        _login(Client(REMOTE_ADDR="10.1.1.1"))
    assert _login(Client(REMOTE_ADDR="10.1.1.2"), password=PASSWORD).status_code == 302
    for _ in range(2):
        _login(Client(REMOTE_ADDR="10.1.1.3"))
    assert _login(Client(REMOTE_ADDR="10.1.1.4"), password=PASSWORD).status_code == 302


def test_admin_login_is_locked_too(db, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    UserFactory(username="ada", role="admin")
    for _ in range(2):
        _login(Client(REMOTE_ADDR="10.2.0.1"), username="ada", path="/admin/login/")
    response = _login(Client(REMOTE_ADDR="10.2.0.2"), "ada", PASSWORD, path="/admin/login/")
    assert response.status_code == 200
    assert "Too many failed" in response.content.decode()


# --- passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["short1", "password123", "1234567890123", "olga-the-operator"]
)
def test_weak_passwords_are_refused(db, password):
    user = UserFactory.build(username="olga-the-operator", first_name="Olga")
    with pytest.raises(ValidationError):
        validate_password(password, user=user)


def test_a_long_unusual_password_passes(db):
    validate_password("Vintage-Hedgehog-Canal-72", user=UserFactory.build(username="olga"))


# --- CSRF ----------------------------------------------------------------------------------

# Views that take POSTs without a CSRF token, and why.
CSRF_EXEMPT = {
    "webhook": "signed by the channel (HMAC or secret token); no cookies",
    "webchat-session": "the widget sends no cookies; a visitor token travels in a header",
    "webchat-messages": "the widget sends no cookies; a visitor token travels in a header",
    "api-token": "credentials in the body, no session: nothing to forge",
    "api-not-found": "the JSON 404 for unknown /api/ paths: changes nothing",
}


def test_every_view_refuses_a_post_without_the_csrf_token(world):
    """As a signed-in admin (allowed everywhere), POST to every URL without the token."""
    client = client_for(world.users["admin"], enforce_csrf_checks=True)
    problems = []
    for route in all_routes():
        if rule_for(route) is None:
            continue  # test_every_url_has_a_rule reports it
        url = concrete_url(world, route)
        response = client.post(url, {"x": "1"})
        # DRF's HTML renderer (the docs page) keeps the reason in response.data only.
        reason = response.content + str(getattr(response, "data", "")).encode()
        refused = response.status_code == 403 and b"CSRF" in reason
        if route.key in CSRF_EXEMPT:
            if refused:
                problems.append(f"{url}: listed as exempt but asks for a CSRF token")
        elif not refused:
            problems.append(f"{url}: answered {response.status_code} to a POST without CSRF")
    assert not problems, "\n".join(problems)


_FORM = re.compile(r"<form\b[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/tickets/{ticket}/",
        "/preferences/",
        "/dashboards/roi/",
        "/settings/rules/",
        "/settings/rules/new/",
        "/admin/tickets/channel/add/",
    ],
)
def test_every_post_form_on_the_pages_carries_the_token(world, path):
    client = client_for(world.users["admin"])
    html = client.get(path.format(ticket=world.ticket.pk)).content.decode()
    forms = re.split(r"<form\b", html, flags=re.IGNORECASE)[1:]
    post_forms = [f for f in forms if re.match(r"[^>]*method=\"?post", f, re.IGNORECASE)]
    assert post_forms, f"no POST form on {path}"
    for form in post_forms:
        body = form.split("</form>", 1)[0]
        assert 'name="csrfmiddlewaretoken"' in body, body[:300]


def test_login_page_form_carries_the_token(db):
    html = Client().get("/login/").content.decode()
    assert _FORM.search(html) and 'name="csrfmiddlewaretoken"' in html
