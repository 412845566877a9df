"""Content-Security-Policy for every page.

Scripts and styles come only from our own origin (static files, no inline code), live
updates from our own websocket, images from our origin or data: URLs. Nobody may frame our
pages, except the web-chat pages under /webchat/, which the sites listed in
WEBCHAT_FRAME_ANCESTORS may embed. A view that sets its own policy (attachments) keeps it.
"""

from __future__ import annotations

from django.conf import settings

HEADER = "Content-Security-Policy"
WEBCHAT_PREFIX = "/webchat/"


def content_security_policy(*, host: str, frame_ancestors: list[str]) -> str:
    websocket = f"ws://{host} wss://{host}" if host else ""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self' {websocket}".strip(),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ]
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER in response:
            return response
        ancestors: list[str] = []
        if request.path.startswith(WEBCHAT_PREFIX):
            ancestors = list(getattr(settings, "WEBCHAT_FRAME_ANCESTORS", []))
            if ancestors:
                # frame-ancestors decides; the older header would forbid what it allows.
                response.headers.pop("X-Frame-Options", None)
        try:
            host = request.get_host()
        except Exception:  # a disallowed host: Django answers 400 anyway
            host = ""
        response[HEADER] = content_security_policy(host=host, frame_ancestors=ancestors)
        return response
