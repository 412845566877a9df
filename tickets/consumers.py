"""Websocket consumer for operators: live queue and ticket events at /ws/agent/.

Groups (see helpdesk.realtime): every operator joins `queue` and `agent.<user id>`, managers
also `managers`; a page
showing one ticket sends {"action": "watch", "ticket_id": N} to join `ticket.<N>`.

Presence (collision detection): on a watched ticket the page sends
{"action": "presence", "ticket_id": N, "state": "viewing" | "typing" | "left"}; the other
operators watching it receive {"type": "presence", "ticket_id", "user_id", "name", "state"}.
Typing is throttled per connection; a newcomer's first "viewing" is answered by the others,
so everyone sees who is already there. Leaving the page or closing the socket sends "left".

An operator restricted to their teams (tickets.visibility) receives only events of tickets
they may see, and cannot watch another team's ticket.
"""

from __future__ import annotations

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from helpdesk.roles import MANAGER, OPERATOR, has_role

MAX_WATCHED = 20
PRESENCE_STATES = {"viewing", "typing", "left"}
TYPING_THROTTLE_SECONDS = 2.0
# The same event reaches an operator through several groups (queue, agent, ticket):
# forward it once.
DEDUPE_SECONDS = 2.0
# How long a connection trusts what it last read of the team-restriction switch.
RESTRICTION_RECHECK_SECONDS = 10.0


@database_sync_to_async
def _is_operator(user) -> bool:
    return has_role(user, OPERATOR)


@database_sync_to_async
def _is_manager(user) -> bool:
    return has_role(user, MANAGER)


@database_sync_to_async
def _typing_elsewhere(ticket_id: int, user) -> None:
    """Let channels with a typing indicator (web chat) show that an operator is typing."""
    from tickets import dispatch

    dispatch.emit(dispatch.AGENT_TYPING, ticket_id=ticket_id, user=user)


@database_sync_to_async
def _restriction_switch_read() -> bool:
    from tickets.visibility import restriction_switch_on

    return restriction_switch_on()


# The team-restriction switch as this process last read it: one read per
# RESTRICTION_RECHECK_SECONDS for all the connections of the process, not one per connection.
_switch = {"on": False, "until": 0.0}


async def _restriction_switch(*, fresh: bool = False) -> bool:
    now = time.monotonic()
    if fresh or now >= _switch["until"]:
        _switch["on"] = await _restriction_switch_read()
        _switch["until"] = now + RESTRICTION_RECHECK_SECONDS
    return _switch["on"]


@database_sync_to_async
def _visible_ids(user, ticket_ids) -> set[int]:
    """Called only while the switch is on (as this process last read it): the user object
    is told so, and tickets.visibility does not read the switch again."""
    from tickets.visibility import team_restriction_known, visible_ticket_ids

    team_restriction_known(user, True)
    return visible_ticket_ids(user, ticket_ids)


def _event_ticket_ids(event: dict) -> list[int]:
    ids = [event["ticket_id"]] if isinstance(event.get("ticket_id"), int) else []
    for item in event.get("items") or []:
        if isinstance(item, dict) and isinstance(item.get("ticket_id"), int):
            ids.append(item["ticket_id"])
    return ids


@database_sync_to_async
def _ticket_assignee_id(ticket_id) -> int | None:
    from tickets.models import Ticket

    return Ticket.objects.filter(pk=ticket_id).values_list("assignee_id", flat=True).first()


class AgentConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await _is_operator(user):
            await self.close()
            return
        self.groups_joined: set[str] = set()
        self.watched: set[int] = set()
        self.recent: dict[str, float] = {}
        self.last_typing: dict[int, float] = {}
        self.user_id = user.pk
        self.user_name = user.get_full_name() or user.get_username()
        self.user = user
        # Managers see every ticket whatever the switch (tickets.visibility).
        self.is_manager = await _is_manager(user)
        groups = ["queue", f"agent.{user.pk}"]
        if self.is_manager:
            groups.append("managers")  # SLA escalations and other alerts for managers
        else:
            # A new connection starts from the switch as it is now.
            await _restriction_switch(fresh=True)
        for group in groups:
            await self._join(group)
        await self.accept()

    async def disconnect(self, code):
        for ticket_id in list(getattr(self, "watched", ())):
            await self._presence(ticket_id, "left")
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
            visible = await self._may_see([ticket_id])
            if visible is not None and ticket_id not in visible:
                return
            if len(self.watched) >= MAX_WATCHED:
                await self._leave(f"ticket.{self.watched.pop()}")
            self.watched.add(ticket_id)
            await self._join(f"ticket.{ticket_id}")
            await self._presence(ticket_id, "viewing", hello=True)
        elif action == "unwatch" and ticket_id in self.watched:
            self.watched.discard(ticket_id)
            await self._presence(ticket_id, "left")
            await self._leave(f"ticket.{ticket_id}")
        elif action == "presence" and ticket_id in self.watched:
            state = content.get("state")
            if state not in PRESENCE_STATES:
                return
            if state == "typing":
                now = time.monotonic()
                if now - self.last_typing.get(ticket_id, 0.0) < TYPING_THROTTLE_SECONDS:
                    return
                self.last_typing[ticket_id] = now
                await _typing_elsewhere(ticket_id, self.user)
            await self._presence(ticket_id, state)

    async def _is_restricted(self) -> bool:
        if self.is_manager:
            return False
        return await _restriction_switch()

    async def _may_see(self, ticket_ids: list[int]) -> set[int] | None:
        """The visible subset of `ticket_ids`, or None when this operator sees everything."""
        if not await self._is_restricted():
            return None
        return await _visible_ids(self.user, ticket_ids)

    async def _presence(self, ticket_id: int, state: str, *, hello: bool = False) -> None:
        await self.channel_layer.group_send(
            f"ticket.{ticket_id}",
            {
                "type": "helpdesk.presence",
                "ticket_id": ticket_id,
                "user_id": self.user_id,
                "name": self.user_name,
                "state": state,
                "hello": hello,
                "sender": self.channel_name,
            },
        )

    async def helpdesk_presence(self, message):
        if message.get("sender") == self.channel_name or message.get("user_id") == self.user_id:
            return
        ticket_id = message.get("ticket_id")
        if ticket_id not in self.watched:
            return
        await self.send_json(
            {
                "type": "presence",
                "ticket_id": ticket_id,
                "user_id": message.get("user_id"),
                "name": message.get("name", ""),
                "state": message.get("state"),
            }
        )
        if message.get("hello"):
            # A newcomer: tell them we are here too.
            await self._presence(ticket_id, "viewing")

    async def helpdesk_event(self, message):
        event = message.get("event") or {}
        key = json.dumps(event, sort_keys=True, default=str)
        now = time.monotonic()
        self.recent = {k: t for k, t in self.recent.items() if now - t < DEDUPE_SECONDS}
        if key in self.recent:
            return
        self.recent[key] = now
        ticket_ids = _event_ticket_ids(event)
        if ticket_ids:
            visible = await self._may_see(ticket_ids)
            if visible is not None:
                if "items" in event:
                    items = [i for i in event["items"] if i.get("ticket_id") in visible]
                    if not items:
                        return
                    event = {**event, "items": items}
                elif event.get("ticket_id") not in visible:
                    return
        if (
            event.get("type") == "message.created"
            and event.get("direction") == "in"
            and event.get("ticket_id")
        ):
            # Desktop notifications are for customer messages on tickets assigned to me. The
            # event carries the assignee (read once at commit by the publisher); an event
            # without it (published by an older process) is looked up.
            if "assignee_id" in event:
                assignee = event["assignee_id"]
            else:
                assignee = await _ticket_assignee_id(event["ticket_id"])
            event = {**event, "for_me": assignee == self.user_id}
        await self.send_json(event)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None
