"""Serving stored attachments to signed-in operators (customer data, never public).

Every file is a download (`Content-Disposition: attachment`) except raster images the
ticket page previews, which are shown inline; none is ever sniffed into another type
(`nosniff`) and each is sandboxed by its own Content-Security-Policy. Paths are resolved
inside MEDIA_ROOT only (django.views.static.serve refuses `..` and absolute paths).
"""

from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.http import Http404
from django.views.static import serve

from helpdesk.permissions import role_required
from helpdesk.roles import OPERATOR

# Shown inline for previews; SVG is not among them (it can carry script).
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def _disposition(kind: str, name: str) -> str:
    ascii_name = name.encode("ascii", "ignore").decode() or "attachment"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@role_required(OPERATOR)
def media(request, path: str):
    if "\x00" in path or any(part in ("..", "") for part in PurePosixPath(path).parts[:-1]):
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    kind = "inline" if content_type in INLINE_TYPES else "attachment"
    response["Content-Disposition"] = _disposition(kind, PurePosixPath(path).name)
    if kind == "attachment":
        response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
