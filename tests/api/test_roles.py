"""Every API operation in the schema, for every role: allowed or forbidden, from one table.

An operation without a rule fails the test: a new endpoint must say who may call it.
"""

from __future__ import annotations

import re
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api.conftest import ROLES, client_for

PUBLIC, OPERATOR, MANAGER, ADMIN = "public", "operator", "manager", "admin"
RANK = {"anonymous": -1, "norole": 0, OPERATOR: 1, MANAGER: 2, ADMIN: 3}

# (method, path as in the schema) -> the lowest role allowed. Mirrors the browser: operators
# work tickets, customers and canned responses; managers also read metrics, revenue, surveys
# and SLA policies; admins configure channels, teams, agents, tags, rules, SLA policies and
# outbound webhooks.
RULES: dict[tuple[str, str], str] = {
    ("POST", "/api/auth/token/"): PUBLIC,
    # tickets and messages
    ("GET", "/api/tickets/"): OPERATOR,
    ("POST", "/api/tickets/"): OPERATOR,
    ("GET", "/api/tickets/{id}/"): OPERATOR,
    ("PATCH", "/api/tickets/{id}/"): OPERATOR,
    ("POST", "/api/tickets/{id}/merge/"): OPERATOR,
    ("GET", "/api/tickets/{id}/messages/"): OPERATOR,
    ("POST", "/api/tickets/{id}/messages/{message_id}/split/"): OPERATOR,
    ("POST", "/api/tickets/{id}/reply/"): OPERATOR,
    ("POST", "/api/tickets/{id}/notes/"): OPERATOR,
    # customers
    ("GET", "/api/customers/"): OPERATOR,
    ("GET", "/api/customers/{id}/"): OPERATOR,
    ("PATCH", "/api/customers/{id}/"): OPERATOR,
    ("POST", "/api/customers/{id}/merge/"): OPERATOR,
    ("GET", "/api/customers/{id}/identities/"): OPERATOR,
    ("POST", "/api/customers/{id}/identities/"): OPERATOR,
    ("DELETE", "/api/customers/{id}/identities/{identity_id}/"): OPERATOR,
    # canned responses (operators change only their personal ones: tests/api/test_config.py)
    ("GET", "/api/canned-responses/"): OPERATOR,
    ("POST", "/api/canned-responses/"): OPERATOR,
    ("GET", "/api/canned-responses/{id}/"): OPERATOR,
    ("PATCH", "/api/canned-responses/{id}/"): ADMIN,
    ("DELETE", "/api/canned-responses/{id}/"): ADMIN,
    ("POST", "/api/canned-responses/{id}/use/"): OPERATOR,
    # teams, agents, tags: operators read (to pick), admins change
    ("GET", "/api/teams/"): OPERATOR,
    ("POST", "/api/teams/"): ADMIN,
    ("GET", "/api/teams/{id}/"): OPERATOR,
    ("PATCH", "/api/teams/{id}/"): ADMIN,
    ("DELETE", "/api/teams/{id}/"): ADMIN,
    ("GET", "/api/agents/"): OPERATOR,
    ("GET", "/api/agents/{id}/"): OPERATOR,
    ("PATCH", "/api/agents/{id}/"): ADMIN,
    ("GET", "/api/tags/"): OPERATOR,
    ("POST", "/api/tags/"): ADMIN,
    ("GET", "/api/tags/{id}/"): OPERATOR,
    ("PATCH", "/api/tags/{id}/"): ADMIN,
    ("DELETE", "/api/tags/{id}/"): ADMIN,
    # configuration
    ("GET", "/api/channels/"): ADMIN,
    ("POST", "/api/channels/"): ADMIN,
    ("GET", "/api/channels/{id}/"): ADMIN,
    ("PATCH", "/api/channels/{id}/"): ADMIN,
    ("POST", "/api/channels/{id}/rotate-secret/"): ADMIN,
    ("GET", "/api/rules/"): ADMIN,
    ("POST", "/api/rules/"): ADMIN,
    ("POST", "/api/rules/dry-run/"): ADMIN,
    ("GET", "/api/rules/{id}/"): ADMIN,
    ("PATCH", "/api/rules/{id}/"): ADMIN,
    ("DELETE", "/api/rules/{id}/"): ADMIN,
    ("GET", "/api/sla-policies/"): MANAGER,
    ("POST", "/api/sla-policies/"): ADMIN,
    ("GET", "/api/sla-policies/{id}/"): MANAGER,
    ("PATCH", "/api/sla-policies/{id}/"): ADMIN,
    ("DELETE", "/api/sla-policies/{id}/"): ADMIN,
    ("GET", "/api/sla-calendars/"): MANAGER,
    # metrics, revenue, surveys
    ("GET", "/api/metrics/summary/"): MANAGER,
    ("GET", "/api/metrics/{page}/"): MANAGER,
    ("GET", "/api/revenue-events/"): MANAGER,
    ("POST", "/api/revenue-events/"): MANAGER,
    ("GET", "/api/surveys/"): MANAGER,
    # CRM sync, personal-data requests, import and export (tickets/api/crm.py, transfer.py)
    ("POST", "/api/customers/upsert/"): ADMIN,
    ("POST", "/api/customers/{id}/export/"): MANAGER,
    ("POST", "/api/customers/{id}/erase/"): MANAGER,
    ("POST", "/api/import/"): ADMIN,
    ("GET", "/api/import/{job_id}/"): ADMIN,
    ("GET", "/api/export/tickets.jsonl"): MANAGER,
    ("GET", "/api/tickets/export.csv"): OPERATOR,
    # outbound webhooks (tickets/api/webhooks.py)
    ("GET", "/api/webhooks/"): ADMIN,
    ("POST", "/api/webhooks/"): ADMIN,
    ("GET", "/api/webhooks/{id}/"): ADMIN,
    ("PATCH", "/api/webhooks/{id}/"): ADMIN,
    ("DELETE", "/api/webhooks/{id}/"): ADMIN,
    ("POST", "/api/webhooks/{id}/rotate-secret/"): ADMIN,
    ("POST", "/api/webhooks/{id}/ping/"): ADMIN,
    ("GET", "/api/webhooks/{id}/deliveries/"): ADMIN,
    ("GET", "/api/webhooks/{id}/deliveries/{delivery_id}/"): ADMIN,
    ("POST", "/api/webhooks/{id}/deliveries/{delivery_id}/redeliver/"): ADMIN,
}

METHODS = ("get", "post", "put", "patch", "delete")


def schema_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    )


def test_every_operation_has_a_rule_and_every_rule_an_operation():
    operations = set(schema_operations())
    missing = sorted(operations - set(RULES))
    assert not missing, f"API operations without a role rule in tests/api/test_roles.py: {missing}"
    stale = sorted(set(RULES) - operations)
    assert not stale, f"Rules for operations that no longer exist: {stale}"


def concrete(path: str, world) -> str:
    ids = world.ids()
    resource = path.split("/")[2]
    values = {
        "id": ids.get(resource, "1"),
        "message_id": ids["messages"],
        "identity_id": ids["identities"],
        "delivery_id": str(uuid.uuid4()),
        "job_id": "unknown-job",
        "page": "sla",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def allowed(role: str, needed: str) -> bool:
    return needed == PUBLIC or RANK[role] >= RANK[needed]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_allowed_or_refused_as_the_table_says(role, users, world):
    client = client_for(users[role])
    # Deletions last, so the other operations still find their objects.
    operations = sorted(
        (op for op in schema_operations() if op in RULES), key=lambda op: op[0] == "DELETE"
    )
    wrong = []
    for method, path in operations:
        url = concrete(path, world)
        response = getattr(client, method.lower())(
            url, {} if method != "GET" else None, format="json"
        )
        code = response.status_code
        if code >= 500:
            wrong.append(f"{method} {url}: server error {code}")
        elif allowed(role, RULES[(method, path)]):
            if code in (401, 403):
                wrong.append(f"{method} {url}: refused ({code}) but {role} is allowed")
        else:
            expected = 401 if role == "anonymous" else 403
            if code != expected:
                wrong.append(f"{method} {url}: {code}, expected {expected} for {role}")
            elif "error" not in response.json():
                wrong.append(f"{method} {url}: refusal without the JSON error body")
    assert not wrong, "\n".join(wrong)
