"""Serving stored attachments to signed-in operators (customer data, never public)."""

from django.conf import settings
from django.views.static import serve

from helpdesk.permissions import role_required
from helpdesk.roles import OPERATOR


@role_required(OPERATOR)
def media(request, path: str):
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
