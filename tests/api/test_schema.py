"""The OpenAPI schema is complete and correct: generated without warnings, and a schemathesis
run against /api/schema/ (every operation, as an admin) finds no server error and no response
that breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "version: '1'" in text or 'version: "1"' in text


@pytest.fixture
def wsgi_app(settings):
    """The real WSGI application in this test's transaction: requests must not close the
    connection at their end (Django's test client does the same)."""
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.API_RATE_USER = ""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def path_parameters(path: str, world) -> dict[str, int]:
    """Real objects for the path's ids, so detail operations run past the 404."""
    ids = world.ids()
    values = {
        "id": ids.get(path.split("/")[2]),
        "message_id": ids["messages"],
        "identity_id": ids["identities"],
    }
    return {
        name: int(value)
        for name, value in values.items()
        if value is not None and "{" + name + "}" in path
    }


def test_schemathesis_finds_no_server_error_and_no_schema_violation(users, world, wsgi_app):
    token = Token.objects.create(user=users["admin"])
    headers = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deletions last, so the other operations still find the world's objects.
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    failures: list[str] = []
    for operation in operations:
        strategy = operation.as_strategy(path_parameters=path_parameters(operation.path, world))

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert len(operations) >= 60
    assert not failures, "\n\n".join(failures)
