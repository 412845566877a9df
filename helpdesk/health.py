"""GET /healthz: is the database reachable, is the broker reachable."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _check_db() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_broker() -> str:
    if not settings.REDIS_URL:
        return "embedded"
    try:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
        )
        client.ping()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


def healthz(request):
    db = _check_db()
    broker = _check_broker()
    healthy = db == "ok" and broker in {"ok", "embedded"}
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "db": db, "broker": broker},
        status=200 if healthy else 503,
    )


def livez(request):
    """Liveness: the process answers. Touches neither the database nor the broker."""
    return JsonResponse({"status": "ok"})
