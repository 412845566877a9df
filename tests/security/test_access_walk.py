"""Every URL of the project, for every role: allowed or refused as the rules table says.

The walk iterates the URL resolver, so a URL added without a rule here fails the test
(`test_every_url_has_a_rule`). Rules:

- a role (operator < manager < admin): that role and above get through, lower roles and
  anonymous visitors are refused (login redirect, 401 or 403);
- PUBLIC: everyone gets through (login page, health, the web-chat widget's endpoints);
- SIGNED: nobody gets through on a session: the request must carry the channel's signature
  (webhooks), a secret link token (survey answers) or a web-chat visitor token, which the
  walk does not have;
- BEARER: a machine token from the environment (monitoring), never a session.

Django admin URLs are walked too: each registered ModelAdmin must be listed in ADMIN_MODELS
(only admins are staff), every other admin URL needs a rule by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver

from helpdesk.roles import ADMIN, MANAGER, OPERATOR
from tests.security.conftest import ROLES, client_for

PUBLIC = "public"
SIGNED = "signed"
BEARER = "bearer"
NOBODY = "nobody"  # refused even to admins: history and journals are append-only

# A rule is one of the above for every method the view answers, or a dict method -> rule
# for views where reading and writing need different roles.
RULES: dict[str, str | dict[str, str]] = {
    # helpdesk
    "healthz": PUBLIC,
    "livez": PUBLIC,
    "login": PUBLIC,
    "logout": PUBLIC,
    "set_language": PUBLIC,
    "media": OPERATOR,
    "metrics": BEARER,
    # API
    "api-token": PUBLIC,
    # The schema and its docs page describe the API; they hold no data.
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    "api-channels": ADMIN,
    "api-tickets": OPERATOR,
    "api-ticket": OPERATOR,
    "api-ticket-reply": OPERATOR,
    "api-metrics-summary": MANAGER,
    "api-metrics-page": MANAGER,
    "api-revenue-events": MANAGER,
    # channels
    "webhook": SIGNED,
    "webchat-demo": PUBLIC,
    "webchat-typing": OPERATOR,
    "webchat-session": PUBLIC,
    # A visitor's messages need the visitor token the session call handed out.
    "webchat-messages": SIGNED,
    # metrics
    "dashboards": MANAGER,
    "dashboard": MANAGER,
    "dashboard-settings": MANAGER,
    "revenue-upload": MANAGER,
    "dashboard-csv": MANAGER,
    "survey-answer": SIGNED,
    # operator workspace
    "queue": OPERATOR,
    "queue-bulk": OPERATOR,
    "preferences": OPERATOR,
    "preferences-language": OPERATOR,
    "work-session": OPERATOR,
    "ticket": OPERATOR,
    "ticket-reply": OPERATOR,
    "ticket-status": OPERATOR,
    "ticket-priority": OPERATOR,
    "ticket-assign": OPERATOR,
    "ticket-tags": OPERATOR,
    "ticket-team": OPERATOR,
    "ticket-merge": OPERATOR,
    "customer-notes": OPERATOR,
    "customer-link": OPERATOR,
    "canned-search": OPERATOR,
    "canned-use": OPERATOR,
    "message-retry": OPERATOR,
    "message-split": OPERATOR,
    # API v1: operators work tickets, messages, customers and canned responses; managers
    # also read SLA policies, surveys and exports and handle personal-data requests; admins
    # configure channels, teams, agents, tags, rules, SLA, webhooks, imports.
    "api-not-found": PUBLIC,  # the JSON 404 for an unknown /api/ path
    "api-tickets-csv": OPERATOR,
    "api-ticket-merge": OPERATOR,
    "api-ticket-messages": OPERATOR,
    "api-message-split": OPERATOR,
    "api-ticket-note": OPERATOR,
    "api-customers": OPERATOR,
    "api-customer": OPERATOR,
    "api-customer-merge": OPERATOR,
    "api-customer-identities": OPERATOR,
    "api-customer-identity": OPERATOR,
    "api-customers-upsert": ADMIN,
    "api-customer-export": MANAGER,
    "api-customer-erase": MANAGER,
    "api-import": ADMIN,
    "api-import-job": ADMIN,
    "api-export-tickets": MANAGER,
    "api-canned": OPERATOR,
    "api-canned-one": OPERATOR,
    "api-canned-use": OPERATOR,
    "api-teams": {"GET": OPERATOR, "POST": ADMIN},
    "api-team": {"GET": OPERATOR, "PATCH": ADMIN, "DELETE": ADMIN},
    "api-agents": OPERATOR,
    "api-agent": {"GET": OPERATOR, "PATCH": ADMIN},
    "api-tags": {"GET": OPERATOR, "POST": ADMIN},
    "api-tag": {"GET": OPERATOR, "PATCH": ADMIN, "DELETE": ADMIN},
    "api-rules": ADMIN,
    "api-rule": ADMIN,
    "api-rules-dry-run": ADMIN,
    "api-channel": ADMIN,
    "api-channel-rotate-secret": ADMIN,
    "api-sla-policies": {"GET": MANAGER, "POST": ADMIN},
    "api-sla-policy": {"GET": MANAGER, "PATCH": ADMIN, "DELETE": ADMIN},
    "api-sla-calendars": MANAGER,
    "api-surveys": MANAGER,
    "api-webhooks": ADMIN,
    "api-webhook": ADMIN,
    "api-webhook-rotate-secret": ADMIN,
    "api-webhook-ping": ADMIN,
    "api-webhook-deliveries": ADMIN,
    "api-webhook-delivery": ADMIN,
    "api-webhook-redeliver": ADMIN,
    # operator workspace: exports and personal-data requests
    "queue-export-csv": OPERATOR,
    "customer-export": MANAGER,
    "customer-erase": MANAGER,
    # rules settings pages
    "rules-settings": ADMIN,
    "rules-fired": ADMIN,
    "rule-new": ADMIN,
    "rule-edit": ADMIN,
    "rule-toggle": ADMIN,
    "rule-move": ADMIN,
    "rule-delete": ADMIN,
    "rules-reorder": ADMIN,
    # Django admin: the site's own pages
    "admin:index": ADMIN,
    "admin:login": PUBLIC,
    "admin:logout": PUBLIC,
    "admin:password_change": ADMIN,
    "admin:password_change_done": ADMIN,
    "admin:autocomplete": ADMIN,
    "admin:jsi18n": ADMIN,
    "admin:app_list": ADMIN,
    "admin:view_on_site": ADMIN,
    "admin:auth_user_password_change": ADMIN,
    "admin:automation_rule_dry_run": ADMIN,
    "admin:automation_rule_dry_run_new": ADMIN,
    "admin:automation_rule_dry_run_one": ADMIN,
    # The admin's catch-all: non-staff go to the admin login, staff get a 404.
    "admin/(?P<url>.*)": ADMIN,
    # Append-only records and accounts that are deactivated rather than deleted.
    "admin:auth_group_delete": NOBODY,
    "admin:auth_user_delete": NOBODY,
    "admin:tickets_message_add": NOBODY,
    "admin:tickets_ticketevent_add": NOBODY,
    "admin:tickets_ticketevent_delete": NOBODY,
    "admin:channels_in_inboundevent_add": NOBODY,
    "admin:sla_slaclock_add": NOBODY,
    "admin:sla_slaevent_add": NOBODY,
    "admin:audit_auditentry_add": NOBODY,
    "admin:audit_auditentry_delete": NOBODY,
    "admin:tickets_workspacesettings_delete": NOBODY,
    "admin:integrations_webhookdelivery_add": NOBODY,
}

# Query strings some views need to get past their input checks.
QUERIES = {
    "admin:autocomplete": "app_label=tickets&model_name=customeridentity&field_name=channel",
}

# Every model registered in the Django admin (app_label.model_name): admins only.
ADMIN_MODELS = {
    "audit.auditentry",
    "auth.group",
    "auth.user",
    "authtoken.tokenproxy",
    "automation.agentskills",
    "automation.botsession",
    "automation.channelsettings",
    "automation.knowledgearticle",
    "automation.rule",
    "automation.teamrouting",
    "channels_in.inboundevent",
    "sla.businesscalendar",
    "sla.slaclock",
    "sla.slaevent",
    "sla.slapolicy",
    "tickets.agentprofile",
    "tickets.attachment",
    "tickets.cannedresponse",
    "tickets.channel",
    "tickets.customer",
    "tickets.message",
    "tickets.tag",
    "tickets.team",
    "tickets.ticket",
    "tickets.ticketevent",
    "tickets.workspacesettings",
    "integrations.webhooksubscription",
    "integrations.webhookdelivery",
}
ADMIN_ACTIONS = ("changelist", "add", "history", "delete", "change")

# Requests come from a public address, as from the internet (not the internal network that
# may scrape /metrics without a token).
OUTSIDE = "203.0.113.10"

_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "tickets/<int:ticket_id>/"
    name: str  # namespaced URL name, or "" when unnamed
    admin_model: str  # "app_label.model_name" for a ModelAdmin URL, else ""

    @property
    def key(self) -> str:
        return self.name or self.route


def _admin_model_of(route: str) -> str:
    parts = route.split("/")
    if len(parts) > 3 and parts[0] == "admin":
        label = f"{parts[1]}.{parts[2]}"
        registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
        if label in registered:
            return label
    return ""


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            route = route.replace("^", "").replace("$", "").replace("\\Z", "")
            name = pattern.name or ""
            if name and namespace:
                name = f"{namespace}:{name}"
            yield Route(route=route, name=name, admin_model=_admin_model_of(route))


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def rule_for(route: Route) -> str | None:
    if route.key in RULES:
        return RULES[route.key]
    if route.admin_model:
        model = route.admin_model.replace(".", "_")
        standard = {f"admin:{model}_{action}" for action in ADMIN_ACTIONS}
        if route.admin_model in ADMIN_MODELS and (not route.name or route.name in standard):
            return ADMIN
    return None


def test_every_url_has_a_rule():
    missing = sorted({r.key for r in all_routes() if rule_for(r) is None})
    assert not missing, (
        "URLs without an access rule in tests/security/test_access_walk.py: " + ", ".join(missing)
    )


def test_every_admin_model_is_listed():
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered - ADMIN_MODELS == set(), "add the new ModelAdmin to ADMIN_MODELS"


# --- the walk ------------------------------------------------------------------------------


def _sample_values(world, route: Route) -> dict[str, str]:
    values = {
        "ticket_id": world.ticket.pk,
        "pk": world.ticket.pk,
        "message_id": world.message.pk,
        "canned_id": world.canned.pk,
        "channel_id": world.channel.pk,
        "kind": "generic",
        "page": "sla",
        "table": "by_channel",
        "token": "not-a-valid-token",
        "score": 5,
        "path": world.attachment.file.name,
        "content_type_id": ContentType.objects.get_for_model(type(world.ticket)).pk,
        "object_id": world.ticket.pk,
        "id": world.users["admin"].pk,
        "app_label": "tickets",
        "url": "nothing-here/",
        "rule_id": 1,
        "customer_id": world.customer.pk,
        "identity_id": 1,
        "job_id": "no-such-job",
        "delivery_id": "00000000-0000-0000-0000-000000000001",
    }
    if route.name.startswith("webchat-"):
        values["channel_id"] = world.webchat.pk
    if route.name == "api-channel" or route.name.startswith("api-channel-"):
        values["pk"] = world.channel.pk
    if route.admin_model:
        from django.apps import apps

        model = apps.get_model(route.admin_model)
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        values["object_id"] = first if first is not None else 1
    return values


def concrete_url(world, route: Route) -> str:
    values = _sample_values(world, route)

    def value(name: str) -> str:
        if name not in values:
            raise AssertionError(f"no sample value for <{name}> in {route.route}")
        return str(values[name])

    url = _CONVERTER.sub(lambda m: value(m["name"]), route.route)
    url = _REGEX_GROUP.sub(lambda m: value(m["name"]), url)
    query = QUERIES.get(route.key, "")
    return "/" + url + (f"?{query}" if query else "")


def _login_paths() -> tuple[str, ...]:
    from django.shortcuts import resolve_url

    return (resolve_url(settings.LOGIN_URL), "/admin/login/")


def refused(response) -> bool:
    """401, 403, or the redirect to a login page that carries where to come back to."""
    if response.status_code in (401, 403):
        return True
    if response.status_code in (301, 302):
        location = response.headers.get("Location", "")
        return "next=" in location and any(location.startswith(p) for p in _login_paths())
    return False


def request_as(client, url: str, method: str | None = None):
    if method is None:
        response = client.get(url)
        if response.status_code != 405:
            return response
        allowed = [m.strip() for m in response.headers.get("Allow", "POST").split(",")]
        method = next((m for m in ("POST", "PATCH", "PUT", "DELETE") if m in allowed), "POST")
    return getattr(client, method.lower())(url)


def expected_through(rule: str, role: str) -> bool:
    if rule == PUBLIC:
        return True
    if rule in (SIGNED, BEARER, NOBODY):
        return False
    if role == "anonymous":
        return False
    order = [OPERATOR, MANAGER, ADMIN]
    return order.index(role) >= order.index(rule)


def _walkable():
    return [r for r in all_routes() if rule_for(r) is not None]


@pytest.mark.parametrize("route", _walkable(), ids=lambda r: r.key)
def test_access(world, route):
    rules = rule_for(route)
    url = concrete_url(world, route)
    methods = rules.items() if isinstance(rules, dict) else [(None, rules)]
    problems = []
    for method, rule in methods:  # reads first, then writes, DELETE last
        for role in ROLES:  # lowest first: a write by a higher role cannot hide a refusal
            client = client_for(world.users[role], REMOTE_ADDR=OUTSIDE)
            response = request_as(client, url, method)
            label = f"{method or 'default'} as {role}"
            if response.status_code >= 500:
                problems.append(f"{label}: server error {response.status_code}")
                continue
            through = not refused(response)
            if rule in (SIGNED, NOBODY) and response.status_code == 404:
                through = False  # an unknown token or channel is a refusal too
            if through != expected_through(rule, role):
                what = "let in" if through else "refused"
                problems.append(f"{label}: {what} ({response.status_code}), rule {rule}")
    assert not problems, f"{url}: " + "; ".join(problems)
