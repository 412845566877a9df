"""GET /metrics: Prometheus text exposition (format 0.0.4) from collectors the apps register.

`helpdesk` imports no domain app: each app registers its collectors in its
`AppConfig.ready()` (`channels_in/monitoring.py`, `tickets/monitoring.py`,
`sla/monitoring.py`); this module keeps the registry, renders the text and guards the view.

Access: with `HELPDESK_METRICS_TOKEN` set, a scrape needs `Authorization: Bearer <token>`;
without it, only loopback and private-network addresses may scrape (behind our own proxy,
`BEHIND_PROXY`, the address is nginx's `X-Real-IP`).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# "The internal network": RFC 1918 and IPv6 unique-local addresses (plus loopback).
INTERNAL_NETWORKS = [
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
]


@dataclass
class Family:
    """One metric family: name, type (counter or gauge), help and its samples."""

    name: str
    kind: str
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> Family:
        self.samples.append(({k: str(v) for k, v in labels.items()}, float(value)))
        return self


Collector = Callable[[], Iterable[Family]]
_collectors: dict[str, Collector] = {}


def register(name: str, collector: Collector) -> None:
    """Add (or replace) a collector; apps call this from AppConfig.ready()."""
    _collectors[name] = collector


def registered() -> list[str]:
    return sorted(_collectors)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(int(value)) if value.is_integer() else repr(value)


def render_families(families: Iterable[Family]) -> str:
    lines = []
    for family in families:
        lines.append(f"# HELP {family.name} {family.help.replace(chr(10), ' ')}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for labels, value in family.samples:
            label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
            suffix = "{" + label_text + "}" if label_text else ""
            lines.append(f"{family.name}{suffix} {_number(value)}")
    return "\n".join(lines) + "\n"


def collect() -> str:
    """Run every collector; one that fails is reported, not fatal to the scrape."""
    families: list[Family] = []
    errors = Family(
        "helpdesk_metrics_collector_up", "gauge", "1 when the collector answered, 0 when it failed."
    )
    duration = Family(
        "helpdesk_metrics_collector_seconds", "gauge", "Time each collector took in this scrape."
    )
    for name in registered():
        started = time.perf_counter()
        try:
            families.extend(_collectors[name]())
            errors.add(1, collector=name)
        except Exception:
            logger.exception("metrics collector %s failed", name)
            errors.add(0, collector=name)
        duration.add(round(time.perf_counter() - started, 6), collector=name)
    return render_families([*families, errors, duration])


# --- the Celery queue: a Redis list per queue name (no domain import needed) --------------


def celery_queue() -> Iterable[Family]:
    if not settings.REDIS_URL:
        return []
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    # kombu keeps priorities in sibling lists "<queue>\x06\x16<n>"; count them all.
    names = [queue] + [f"{queue}\x06\x16{p}" for p in (1, 2, 3, 4, 5, 6, 7, 8, 9)]
    pipe = client.pipeline()
    for name in names:
        pipe.llen(name)
    pipe.hlen("unacked")
    *lengths, unacked = pipe.execute()
    return [
        Family("helpdesk_celery_queue_length", "gauge", "Tasks waiting in the broker queue.").add(
            sum(lengths), queue=queue
        ),
        Family(
            "helpdesk_celery_unacked", "gauge", "Tasks taken by a worker and not yet acknowledged."
        ).add(unacked),
    ]


register("celery", celery_queue)


# --- the view -----------------------------------------------------------------------------


def _client_address(request) -> str:
    if settings.BEHIND_PROXY:
        return request.headers.get("X-Real-IP", "") or request.META.get("REMOTE_ADDR", "")
    return request.META.get("REMOTE_ADDR", "")


def scrape_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(
            given.removeprefix("Bearer ").strip(), token
        )
    try:
        address = ipaddress.ip_address(_client_address(request).strip())
    except ValueError:
        return False
    return address.is_loopback or any(address in net for net in INTERNAL_NETWORKS)


@require_GET
def metrics_view(request):
    if not scrape_allowed(request):
        return JsonResponse(
            {
                "error": {
                    "code": "forbidden",
                    "message": "Metrics need a bearer token (HELPDESK_METRICS_TOKEN) "
                    "or a scrape from the internal network.",
                }
            },
            status=403,
        )
    return HttpResponse(collect(), content_type=CONTENT_TYPE)
