"""ASGI entry: HTTP and websockets in the embedded default, `/ws/` only in production."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from helpdesk.routing import websocket_urlpatterns  # noqa: E402

if settings.TICKER_ENABLED and os.environ.get("HELPDESK_ASGI_TICKER", "1") == "1":
    from helpdesk import ticker

    ticker.start()

# Operators' sockets accept only our own hosts as origin. The web-chat widget's socket is
# opened from customers' sites: it gets a router holding only the web-chat routes, no session,
# and its consumer checks the origin against the channel's `allowed_origins`.
same_host_only = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
webchat_only = URLRouter(
    [r for r in websocket_urlpatterns if str(r.pattern).startswith("ws/webchat/")]
)


async def websocket_origin_check(scope, receive, send):
    app = webchat_only if scope["path"].startswith("/ws/webchat/") else same_host_only
    return await app(scope, receive, send)


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_origin_check})
