"""Websocket consumer for operators: live queue and ticket events at /ws/agent/.

Groups (see helpdesk.realtime): every operator joins `queue` and `agent.<user id>`; a page
showing one ticket sends {"action": "watch", "ticket_id": N} to join `ticket.<N>`.
"""

from __future__ import annotations

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from helpdesk.roles import OPERATOR, has_role

MAX_WATCHED = 20
# The same event reaches an operator through several groups (queue, agent, ticket):
# forward it once.
DEDUPE_SECONDS = 2.0


@database_sync_to_async
def _is_operator(user) -> bool:
    return has_role(user, OPERATOR)


class AgentConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await _is_operator(user):
            await self.close()
            return
        self.groups_joined: set[str] = set()
        self.watched: set[int] = set()
        self.recent: dict[str, float] = {}
        for group in ("queue", f"agent.{user.pk}"):
            await self._join(group)
        await self.accept()

    async def disconnect(self, code):
        for group in list(getattr(self, "groups_joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = set()

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        action = content.get("action")
        ticket_id = content.get("ticket_id")
        if isinstance(ticket_id, str) and ticket_id.isdigit():
            ticket_id = int(ticket_id)
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or ticket_id <= 0:
            return
        if action == "watch" and ticket_id not in self.watched:
            if len(self.watched) >= MAX_WATCHED:
                await self._leave(f"ticket.{self.watched.pop()}")
            self.watched.add(ticket_id)
            await self._join(f"ticket.{ticket_id}")
        elif action == "unwatch" and ticket_id in self.watched:
            self.watched.discard(ticket_id)
            await self._leave(f"ticket.{ticket_id}")

    async def helpdesk_event(self, message):
        event = message.get("event") or {}
        key = json.dumps(event, sort_keys=True, default=str)
        now = time.monotonic()
        self.recent = {k: t for k, t in self.recent.items() if now - t < DEDUPE_SECONDS}
        if key in self.recent:
            return
        self.recent[key] = now
        await self.send_json(event)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None
