"""The web-chat channel: the embeddable widget on a customer's site.

A visitor gets a signed token from `POST /webchat/<id>/session/` (visitor id, optional name
and email, the channel id), signed with SECRET_KEY and a salt holding the channel's secret:
rotating the secret ends every visitor session of that channel.

What reaches the journal is an envelope built by the server from the verified token and the
widget's raw JSON: `{"visitor": {"id", "name", "email"}, "message": {"type": "message",
"id": <client uuid>, "text": ...}}`. The dedupe key is the client-generated message id
(namespaced by the visitor), so a resend after a dropped socket is stored once.

Outbound: `send()` publishes the operator's reply to the visitor's live group
`webchat.<channel id>.<visitor id>`; the message counts as sent once published. The visitor's
history is always readable again over HTTP, so a closed socket loses nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from helpdesk.exceptions import DeliveryError, PayloadInvalid, SignatureInvalid
from helpdesk.realtime import publish
from tickets.inbound import InboundMessage, SenderIdentity
from tickets.models import Channel, Direction, Message

TOKEN_HEADER = "X-Webchat-Token"  # noqa: S105 - a header name
MAX_TEXT = 4000
MAX_NAME = 120
MAX_EMAIL = 254
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_VISITOR_ID = re.compile(r"^[0-9a-f]{32}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Visitor:
    id: str
    name: str = ""
    email: str = ""


def _salt(channel: Channel) -> str:
    return f"webchat.visitor.{channel.pk}.{channel.secret}"


def visitor_group(channel_id: int, visitor_id: str) -> str:
    return f"webchat.{channel_id}.{visitor_id}"


def clean_profile(*, name: Any = "", email: Any = "") -> tuple[str, str]:
    """The optional name/email form, trimmed; raise PayloadInvalid on nonsense."""
    name = name if isinstance(name, str) else ""
    email = email if isinstance(email, str) else ""
    name, email = " ".join(name.split())[:MAX_NAME], email.strip()
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        raise PayloadInvalid("This email address does not look right.")
    return name, email


def visitor_token_issue(
    *, channel: Channel, name: str = "", email: str = ""
) -> tuple[str, Visitor]:
    visitor = Visitor(id=uuid.uuid4().hex, name=name, email=email)
    payload = {"c": channel.pk, "v": visitor.id, "n": name, "e": email}
    return signing.dumps(payload, salt=_salt(channel), compress=True), visitor


def visitor_from_token(*, token: str, channel: Channel) -> Visitor:
    """The visitor a token was issued to, for this channel only; raise SignatureInvalid."""
    if not token or len(token) > 2000:
        raise SignatureInvalid("Missing visitor token.")
    try:
        payload = signing.loads(token, salt=_salt(channel))
    except signing.BadSignature as exc:
        raise SignatureInvalid("The visitor token is not valid for this channel.") from exc
    if (
        not isinstance(payload, dict)
        or payload.get("c") != channel.pk
        or not _VISITOR_ID.match(str(payload.get("v", "")))
    ):
        raise SignatureInvalid("The visitor token is not valid for this channel.")
    return Visitor(id=payload["v"], name=payload.get("n") or "", email=payload.get("e") or "")


def client_message(content: Any) -> tuple[str, str]:
    """(client id, text) of a widget's `{"type": "message", "id", "text"}`, validated."""
    if not isinstance(content, dict):
        raise PayloadInvalid("A message must be a JSON object.")
    client_id = content.get("id")
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
        raise PayloadInvalid("'id' must be 8-64 characters of A-Z a-z 0-9 _ -.")
    text = content.get("text")
    if not isinstance(text, str) or not text.strip():
        raise PayloadInvalid("'text' must be a non-empty string.")
    if len(text) > MAX_TEXT:
        raise PayloadInvalid(f"'text' is longer than {MAX_TEXT} characters.")
    return client_id, text


def envelope(*, visitor: Visitor, content: dict) -> bytes:
    """The journal body: the verified visitor beside the widget's raw message."""
    client_message(content)
    return json.dumps(
        {
            "visitor": {"id": visitor.id, "name": visitor.name, "email": visitor.email},
            "message": content,
            "received_at": timezone.now().isoformat(),
        },
        ensure_ascii=False,
    ).encode()


def _load(body: bytes) -> tuple[Visitor, str, str, datetime]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadInvalid(f"Body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("visitor"), dict):
        raise PayloadInvalid("Body must be a web-chat envelope with a 'visitor'.")
    raw = payload["visitor"]
    visitor_id = str(raw.get("id", ""))
    if not _VISITOR_ID.match(visitor_id):
        raise PayloadInvalid("The envelope's visitor id is malformed.")
    name, email = clean_profile(name=raw.get("name", ""), email=raw.get("email", ""))
    client_id, text = client_message(payload.get("message"))
    received = payload.get("received_at")
    sent_at = parse_datetime(received) if isinstance(received, str) else None
    return (
        Visitor(id=visitor_id, name=name, email=email),
        client_id,
        text,
        sent_at or timezone.now(),
    )


def message_key(visitor_id: str, client_id: str) -> str:
    return f"{visitor_id}:{client_id}"


class WebchatAdapter:
    kind: ClassVar[str] = "webchat"

    def verify(self, *, request: HttpRequest, channel: Channel) -> None:
        """The visitor token in `X-Webchat-Token`, and a body about that same visitor."""
        visitor = visitor_from_token(token=request.headers.get(TOKEN_HEADER, ""), channel=channel)
        try:
            claimed = json.loads(request.body).get("visitor", {}).get("id")
        except (ValueError, AttributeError):
            claimed = None
        if claimed != visitor.id:
            raise SignatureInvalid("The body is not about the visitor of the token.")

    def dedupe_key(self, *, body: bytes, channel: Channel) -> str:
        visitor, client_id, _text, _at = _load(body)
        return "msg:" + message_key(visitor.id, client_id)

    def parse(self, *, body: bytes, channel: Channel, event_id: int) -> list[InboundMessage]:
        visitor, client_id, text, sent_at = _load(body)
        # The form's email is not verified: it is shown to operators (as the identity's
        # username) but never used to merge this visitor into an existing customer.
        sender = SenderIdentity(
            external_id=visitor.id,
            name=visitor.name or visitor.email or f"Visitor {visitor.id[:6]}",
            username=visitor.email,
        )
        return [
            InboundMessage(
                channel_id=channel.pk,
                external_message_id=message_key(visitor.id, client_id),
                sender=sender,
                text=text,
                sent_at=sent_at,
                raw_event_id=event_id,
            )
        ]

    def send(self, message: Message) -> str:
        visitors = list(
            message.ticket.customer.identities.filter(channel_id=message.channel_id).values_list(
                "external_id", flat=True
            )
        )
        if not visitors:
            raise DeliveryError("No web-chat visitor is linked to this customer.", retryable=False)
        event = {"type": "message", "message": message_public(message)}
        publish(event=event, groups=[visitor_group(message.channel_id, v) for v in visitors])
        return f"webchat:{message.pk}"


def message_public(message: Message) -> dict[str, Any]:
    """What a visitor may see of a message: never internal notes, never operator surnames."""
    inbound = message.direction == Direction.INBOUND
    author = ""
    if not inbound and message.author_id is not None:
        author = message.author.first_name or message.author.get_username()
    client_id = ""
    if inbound and message.external_id and ":" in message.external_id:
        client_id = message.external_id.split(":", 1)[1]
    return {
        "id": message.pk,
        "direction": "in" if inbound else "out",
        "author": author,
        "text": message.text,
        "sent_at": message.sent_at.isoformat(),
        "client_id": client_id,
    }


def webchat_operator_typing(*, channel_id: int, visitor_ids: list[str], name: str = "") -> None:
    """Show "typing..." in the widget of each visitor (an operator is writing a reply)."""
    event = {"type": "typing", "author": name}
    publish(event=event, groups=[visitor_group(channel_id, v) for v in visitor_ids])


def webchat_allowed_origins(channel: Channel) -> list[str]:
    origins = (channel.config or {}).get("allowed_origins") or []
    if isinstance(origins, str):
        origins = [origins]
    return [normalise_origin(o) for o in origins if isinstance(o, str) and o.strip()]


def normalise_origin(origin: str) -> str:
    origin = origin.strip().rstrip("/").lower()
    for scheme, port in (("https://", ":443"), ("http://", ":80")):
        if origin.startswith(scheme) and origin.endswith(port):
            origin = origin[: -len(port)]
    return origin


def origin_allowed(*, channel: Channel, origin: str, host: str = "") -> bool:
    """Empty list = any site may embed the widget; the desk's own host is always allowed."""
    if not origin:
        return True  # not a browser (curl, a server); the token still decides
    origin = normalise_origin(origin)
    if host and origin.split("://", 1)[-1] == host.lower():
        return True
    allowed = webchat_allowed_origins(channel)
    return not allowed or origin in allowed


def rate_limit_per_minute(channel: Channel) -> int:
    value = (channel.config or {}).get("rate_limit_per_minute")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return getattr(settings, "WEBCHAT_RATE_LIMIT_PER_MINUTE", 20)
