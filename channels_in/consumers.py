"""The web-chat widget's websocket at /ws/webchat/<channel id>/?token=<visitor token>.

Visitor → server: `{"type": "message", "id": <client uuid>, "text": ...}` (answered with
`{"type": "ack", "id", "status": "accepted"|"duplicate"}` or `{"type": "error", "id", "code",
"message"}`) and `{"type": "typing"}`.
Server → visitor (through the group `webchat.<channel id>.<visitor id>`):
`{"type": "message", "message": {...}}` for operator replies, `{"type": "typing", "author"}`.

The origin is checked here against the channel's `allowed_origins` (the ASGI stack lets
/ws/webchat/ past the same-host origin check that guards the operators' socket).
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from channels_in.adapters.webchat import origin_allowed, visitor_from_token, visitor_group
from channels_in.selectors import channel_for_webhook
from channels_in.webchat_services import webchat_message_accept, webchat_visitor_typing
from helpdesk.exceptions import ApplicationError, SignatureInvalid

REFUSED = 4403
MAX_FRAME = 16 * 1024
TYPING_EVERY_SECONDS = 2.0


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


@database_sync_to_async
def _channel(channel_id: int):
    return channel_for_webhook(kind="webchat", channel_id=channel_id)


@database_sync_to_async
def _accept_message(channel, visitor, content, user_agent):
    return webchat_message_accept(
        channel=channel, visitor=visitor, content=content, headers={"User-Agent": user_agent}
    )


@database_sync_to_async
def _typing(channel, visitor_id):
    return webchat_visitor_typing(channel=channel, visitor_id=visitor_id)


class WebchatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = None
        channel_id = self.scope["url_route"]["kwargs"]["channel_id"]
        channel = await _channel(int(channel_id))
        origin = _header(self.scope, b"origin")
        if channel is None or not origin_allowed(
            channel=channel, origin=origin, host=_header(self.scope, b"host")
        ):
            await self.close(code=REFUSED)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            visitor = visitor_from_token(token=(query.get("token") or [""])[0], channel=channel)
        except SignatureInvalid:
            await self.close(code=REFUSED)
            return
        self.channel = channel
        self.visitor = visitor
        self.last_typing = 0.0
        self.group = visitor_group(channel.pk, visitor.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None or len(text_data) > MAX_FRAME:
            await self.send_json(
                {"type": "error", "code": "payload_invalid", "message": "Bad frame."}
            )
            return
        await super().receive(text_data=text_data, **kwargs)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "message":
            await self._message(content)
        elif kind == "typing":
            now = time.monotonic()
            if now - self.last_typing >= TYPING_EVERY_SECONDS:
                self.last_typing = now
                await _typing(self.channel, self.visitor.id)

    async def _message(self, content: dict) -> None:
        client_id = content.get("id") if isinstance(content.get("id"), str) else None
        try:
            _event, created = await _accept_message(
                self.channel, self.visitor, content, _header(self.scope, b"user-agent")[:300]
            )
        except ApplicationError as exc:
            await self.send_json(
                {"type": "error", "id": client_id, "code": exc.code, "message": exc.message}
            )
            return
        status = "accepted" if created else "duplicate"
        await self.send_json({"type": "ack", "id": client_id, "status": status})

    async def helpdesk_event(self, message):
        await self.send_json(message.get("event") or {})

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None
