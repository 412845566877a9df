from django.urls import path

from channels_in.consumers import WebchatConsumer
from tickets.consumers import AgentConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
    path("ws/webchat/<int:channel_id>/", WebchatConsumer.as_asgi()),
]
