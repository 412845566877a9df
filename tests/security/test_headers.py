"""Response headers: the Content-Security-Policy on every page, framing rules, cookies."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

from django.test import Client

from helpdesk.security import content_security_policy
from tests.security.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]


def _directives(header: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


def test_pages_carry_the_policy(world):
    response = client_for(world.users["operator"]).get("/")
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["connect-src"] == "'self' ws://testserver wss://testserver"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_login_page_and_api_carry_it_too(db):
    client = Client()
    for path in ("/login/", "/api/tickets/", "/healthz"):
        assert "script-src 'self'" in client.get(path)["Content-Security-Policy"], path


def test_webchat_pages_may_be_framed_by_configured_sites(world, settings):
    url = f"/webchat/demo/{world.webchat.pk}/"
    closed = Client().get(url)
    assert _directives(closed["Content-Security-Policy"])["frame-ancestors"] == "'none'"
    settings.WEBCHAT_FRAME_ANCESTORS = ["https://shop.example.com"]
    framed = Client().get(url)
    directives = _directives(framed["Content-Security-Policy"])
    assert directives["frame-ancestors"] == "https://shop.example.com"
    assert "X-Frame-Options" not in framed
    # ...and only those pages.
    other = Client().get("/login/")
    assert _directives(other["Content-Security-Policy"])["frame-ancestors"] == "'none'"


def test_policy_builder():
    text = content_security_policy(host="desk.example.com", frame_ancestors=[])
    assert "connect-src 'self' ws://desk.example.com wss://desk.example.com" in text
    assert "object-src 'none'" in text and "base-uri 'self'" in text


def test_session_and_csrf_cookies(world):
    client = Client()
    client.force_login(world.users["operator"])
    client.get("/login/")
    response = client.get("/")
    assert response.status_code == 200
    session = client.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


def test_production_settings_secure_cookies_hsts_and_env_secrets(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECRET_KEY == __import__('os').environ['SECRET_KEY'])"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "desk.example.com",
        "HELPDESK_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "True", "31536000", "True", "True", "True", "True"]


def test_production_refuses_to_start_without_a_secret_from_the_environment(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DEBUG": "0",
        "HELPDESK_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
