"""The web-chat widget's plain HTTP side (also its fallback when websockets fail).

    POST /webchat/<id>/session/    {name?, email?} → {token, visitor_id}
    POST /webchat/<id>/messages/   {type: "message", id, text}, header X-Webchat-Token
    GET  /webchat/<id>/messages/?after=<message id>  → this visitor's public messages
    GET  /webchat/demo/<id>/       a page embedding the widget like a customer's site would
    POST /webchat/typing/<ticket id>/  an operator is typing (session auth, CSRF)

Cross-origin: allowed for the channel's `config.allowed_origins` (empty = any site).
"""

from __future__ import annotations

import functools
import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from channels_in.adapters.webchat import (
    TOKEN_HEADER,
    clean_profile,
    origin_allowed,
    visitor_from_token,
)
from channels_in.selectors import channel_for_webhook
from channels_in.webchat_services import (
    webchat_history,
    webchat_message_accept,
    webchat_operator_typing_on,
    webchat_session_create,
)
from helpdesk.exceptions import ApplicationError, SignatureInvalid
from helpdesk.permissions import role_required
from helpdesk.roles import OPERATOR
from tickets.models import Ticket
from tickets.visibility import visible_ticket_or_404

MAX_BODY = 16 * 1024
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def _json(data: dict, status: int = 200) -> HttpResponse:
    """JSON with <, > and & escaped: customer text is data wherever it ends up."""
    body = json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)
    return HttpResponse(body, status=status, content_type="application/json")


def _error(status: int, code: str, message: str) -> HttpResponse:
    return _json({"error": {"code": code, "message": message}}, status=status)


def _cors(methods: str):
    """Resolve the web-chat channel, enforce its allowed origins, answer preflights."""

    def decorator(view):
        @csrf_exempt  # no cookies involved: the visitor token travels in a header
        @functools.wraps(view)
        def wrapper(request, channel_id: int):
            channel = channel_for_webhook(kind="webchat", channel_id=channel_id)
            if channel is None:
                return _error(404, "not_found", "No such web-chat channel.")
            origin = request.headers.get("Origin", "")
            if not origin_allowed(channel=channel, origin=origin, host=request.get_host()):
                return _error(403, "origin_refused", "This site may not use this chat.")
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
            elif request.method not in methods.split(", "):
                response = _error(405, "method_not_allowed", f"Use {methods}.")
            else:
                response = view(request, channel)
            if origin:
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Allow-Methods"] = f"{methods}, OPTIONS"
                response["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}"
                response["Access-Control-Max-Age"] = "600"
            response["Vary"] = "Origin"
            response["Cache-Control"] = "no-store"
            return response

        return wrapper

    return decorator


def _body(request) -> dict | None:
    if len(request.body) > MAX_BODY:
        return None
    try:
        data = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _client_address(request) -> str:
    """For the per-address session limit: the peer address, or behind our own proxy
    (BEHIND_PROXY, as in deploy/nginx.conf, which overwrites the header) its X-Real-IP."""
    if settings.BEHIND_PROXY:
        return request.headers.get("X-Real-IP", "")[:64] or request.META.get("REMOTE_ADDR", "")
    return request.META.get("REMOTE_ADDR", "")


@_cors("POST")
def session(request, channel):
    data = _body(request)
    if data is None:
        return _error(400, "payload_invalid", "The body must be a JSON object.")
    try:
        name, email = clean_profile(name=data.get("name", ""), email=data.get("email", ""))
        token, visitor = webchat_session_create(
            channel=channel, name=name, email=email, address=_client_address(request)
        )
    except ApplicationError as exc:
        return _error(exc.status_code, exc.code, exc.message)
    return _json({"token": token, "visitor_id": visitor.id}, status=201)


@_cors("GET, POST")
def messages(request, channel):
    try:
        visitor = visitor_from_token(token=request.headers.get(TOKEN_HEADER, ""), channel=channel)
    except SignatureInvalid as exc:
        return _error(403, exc.code, exc.message)
    if request.method == "GET":
        try:
            after = max(int(request.GET.get("after") or 0), 0)
        except ValueError:
            after = 0
        return _json(
            {"messages": webchat_history(channel=channel, visitor_id=visitor.id, after=after)}
        )
    data = _body(request)
    if data is None:
        return _error(400, "payload_invalid", "The body must be a JSON object under 16 KB.")
    try:
        _event, created = webchat_message_accept(
            channel=channel,
            visitor=visitor,
            content=data,
            headers={"User-Agent": request.headers.get("User-Agent", "")[:300]},
        )
    except ApplicationError as exc:
        response = _error(exc.status_code, exc.code, exc.message)
        if "retry_after" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    status = "accepted" if created else "duplicate"
    return _json({"status": status, "id": data.get("id")}, status=202 if created else 200)


@require_GET
def demo(request, channel_id: int):
    channel = channel_for_webhook(kind="webchat", channel_id=channel_id)
    if channel is None:
        return render(request, "channels_in/webchat_demo.html", {"channel": None}, status=404)
    return render(request, "channels_in/webchat_demo.html", {"channel": channel})


@require_POST
@role_required(OPERATOR)
def operator_typing(request, ticket_id: int):
    """The workspace tells the visitor an operator is typing (call it at most every ~3 s)."""
    # An operator restricted to their teams cannot signal on another team's ticket (404).
    ticket = visible_ticket_or_404(
        request.user, ticket_id, Ticket.objects.select_related("channel", "customer")
    )
    count = webchat_operator_typing_on(ticket=ticket, user=request.user)
    return JsonResponse({"status": "ok", "visitors": count})
