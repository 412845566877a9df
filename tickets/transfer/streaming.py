"""Streaming an export in constant memory under WSGI (gunicorn) and ASGI (the embedded
server) alike.

Under ASGI Django collects a synchronous iterator into a list before sending it (it
cannot iterate it from the event loop); handing it an asynchronous iterator that pulls
the synchronous one in slices through `sync_to_async` keeps the stream a stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from itertools import islice

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse

SLICE = 200  # lines per hop to the worker thread


def _take(iterator: Iterator[str]) -> str:
    return "".join(islice(iterator, SLICE))


async def _async_lines(lines: Iterable[str]) -> AsyncIterator[str]:
    iterator = iter(lines)
    while part := await sync_to_async(_take)(iterator):
        yield part


def streaming_download(
    request, lines: Iterable[str], *, content_type: str, filename: str
) -> StreamingHttpResponse:
    django_request = getattr(request, "_request", request)  # a DRF request wraps Django's
    content = _async_lines(lines) if isinstance(django_request, ASGIRequest) else lines
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
