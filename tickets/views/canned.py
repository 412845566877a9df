"""Canned responses in the reply box: search (keyword or /shortcut) and insert with variables.

Both answer JSON; the browser builds the list with textContent, so nothing is parsed as HTML.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from tickets.models import CannedResponse, Ticket
from tickets.selectors import agent_team_ids, canned_get_visible, canned_search
from tickets.services import canned_use
from tickets.views.common import operator_page
from tickets.visibility import visible_ticket_or_404


@require_GET
@operator_page
def canned_search_view(request, ticket_id: int):
    found = canned_search(
        user=request.user,
        team_ids=agent_team_ids(user=request.user),
        query=request.GET.get("q", "")[:100],
    )
    return JsonResponse(
        {
            "results": [
                {
                    "id": c.pk,
                    "title": c.title,
                    "shortcut": c.shortcut,
                    "preview": c.body[:140],
                    "scope": "personal" if c.owner_id else ("team" if c.team_id else "global"),
                    "team": c.team.name if c.team_id else "",
                    "uses": c.usage_count,
                }
                for c in found
            ]
        }
    )


@require_POST
@operator_page
def canned_use_view(request, ticket_id: int, canned_id: int):
    ticket = visible_ticket_or_404(
        request.user, ticket_id, Ticket.objects.select_related("customer")
    )
    try:
        canned = canned_get_visible(
            user=request.user, team_ids=agent_team_ids(user=request.user), canned_id=canned_id
        )
    except CannedResponse.DoesNotExist:
        return JsonResponse({"error": "not found"}, status=404)
    return JsonResponse({"text": canned_use(canned=canned, ticket=ticket, agent=request.user)})
