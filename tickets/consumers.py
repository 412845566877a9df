"""Websocket consumer for operators (placeholder until the workspace lands)."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class AgentConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        await self.close()
