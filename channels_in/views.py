"""POST /webhooks/<kind>/<channel_id>/: verify, journal, acknowledge."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels_in.adapters.base import body_digest
from channels_in.registry import adapter_for
from channels_in.selectors import channel_for_webhook
from channels_in.services import inbound_event_store
from helpdesk.exceptions import PayloadInvalid, SignatureInvalid

logger = logging.getLogger(__name__)
READ_CHUNK = 64 * 1024


def body_limit(kind: str) -> int:
    return settings.WEBHOOK_MAX_BODY_BY_KIND.get(kind, settings.WEBHOOK_MAX_BODY)


def read_body(request, *, limit: int) -> bool:
    """Read the body into `request.body` unless it passes `limit`; False when it does.

    A declared Content-Length over the limit is refused before a byte is read; a body sent
    without one (chunked) or longer than declared is refused as soon as the limit is passed.
    """
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return False
    chunks, size = [], 0
    while True:
        chunk = request.read(READ_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            return False
        chunks.append(chunk)
    request._body = b"".join(chunks)  # what HttpRequest.body returns from now on
    return True


def _error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request, kind: str, channel_id: int):
    try:
        return _webhook(request, kind, channel_id)
    except (OperationalError, InterfaceError):
        # The database is away (restart, failover): nothing was stored, so the sender must
        # retry; messengers and our generic contract retry on 5xx. The next request
        # reconnects by itself (CONN_HEALTH_CHECKS).
        logger.warning("webhook %s/%s refused: database unavailable", kind, channel_id)
        response = _error(503, "unavailable", "Storage is briefly unavailable; retry later.")
        response["Retry-After"] = "5"
        return response


def _verified(adapter, request, kind: str, channel):
    """Verify against the cached channel; on failure once more against a fresh read (the
    secret may have been rotated in another process since the row was cached)."""
    try:
        adapter.verify(request=request, channel=channel)
        return channel
    except SignatureInvalid:
        fresh = channel_for_webhook(kind=kind, channel_id=channel.pk, fresh=True)
        if fresh is None or (fresh.secret, fresh.previous_secret, fresh.config) == (
            channel.secret,
            channel.previous_secret,
            channel.config,
        ):
            raise
    adapter.verify(request=request, channel=fresh)
    return fresh


def _webhook(request, kind: str, channel_id: int):
    adapter = adapter_for(kind)
    handshake = getattr(adapter, "handshake", None)
    if request.method == "GET" and handshake is None:
        return HttpResponseNotAllowed(["POST"])
    channel = channel_for_webhook(kind=kind, channel_id=channel_id)
    if adapter is None or channel is None:
        return _error(404, "not_found", "No such channel.")
    if request.method == "GET":
        # A provider's subscription check (WhatsApp: hub.mode / hub.verify_token).
        return handshake(request=request, channel=channel)
    limit = body_limit(kind)
    if not read_body(request, limit=limit):
        return _error(
            413, "too_large", f"The body exceeds the {kind} webhook limit of {limit} bytes.",
            limit=limit,
        )  # fmt: skip
    try:
        channel = _verified(adapter, request, kind, channel)
    except SignatureInvalid as exc:
        return _error(403, exc.code, exc.message)
    body = request.body
    headers = dict(request.headers)
    try:
        key = adapter.dedupe_key(body=body, channel=channel)
    except PayloadInvalid as exc:
        # Authenticated but unreadable: keep it in the journal with the error, tell the sender.
        event, _ = inbound_event_store(
            channel=channel,
            body=body,
            headers=headers,
            dedupe_key=body_digest(body),
            error=exc.message,
        )
        return _error(400, exc.code, exc.message, event_id=event.pk)
    event, created = inbound_event_store(
        channel=channel, body=body, headers=headers, dedupe_key=key
    )
    return JsonResponse({"status": "accepted" if created else "duplicate", "event_id": event.pk})
