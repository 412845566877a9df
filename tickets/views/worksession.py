"""The endpoint receiving work-session beacons (navigator.sendBeacon) from the ticket page."""

from __future__ import annotations

import datetime

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from helpdesk.exceptions import ApplicationError
from tickets.forms import WorkSessionForm
from tickets.services import work_session_record
from tickets.views.common import operator_page
from tickets.visibility import tickets_visible_to


def _from_millis(value: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)


@require_POST
@operator_page
def work_session_view(request):
    form = WorkSessionForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    data = form.cleaned_data
    ticket = tickets_visible_to(request.user).filter(pk=data["ticket"]).first()
    if ticket is None:
        return JsonResponse({"error": "no such ticket"}, status=404)
    try:
        work_session_record(
            agent=request.user,
            ticket=ticket,
            client_id=data["sid"],
            started_at=_from_millis(data["start"]),
            ended_at=_from_millis(data["end"]),
            reason=data["reason"],
        )
    except (ApplicationError, OverflowError, OSError, ValueError) as exc:
        return JsonResponse({"error": str(getattr(exc, "message", exc))}, status=400)
    return HttpResponse(status=204)
