"""Operator pages (placeholder until the workspace templates land)."""

from django.http import HttpResponse

from helpdesk.permissions import role_required
from helpdesk.roles import OPERATOR


@role_required(OPERATOR)
def queue(request):
    return HttpResponse("queue")


@role_required(OPERATOR)
def ticket_detail(request, ticket_id: int):
    return HttpResponse("ticket")
