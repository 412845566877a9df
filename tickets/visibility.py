"""Who may see which tickets: one rule for pages, the API and exports.

Managers and admins see every ticket. Operators see every ticket too, unless an admin turns
on WorkspaceSettings.restrict_operators_to_teams: then an operator sees the tickets of the
teams they belong to, tickets with no team, and tickets assigned to them.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from helpdesk.roles import MANAGER, has_role
from tickets.models import Ticket, WorkspaceSettings


def workspace_settings() -> WorkspaceSettings:
    return WorkspaceSettings.objects.get_or_create(pk=1)[0]


def team_restricted(user) -> bool:
    """True if `user` only sees their teams' tickets."""
    if has_role(user, MANAGER):
        return False
    return WorkspaceSettings.objects.filter(pk=1, restrict_operators_to_teams=True).exists()


def ticket_visibility_q(user) -> Q | None:
    """The condition a ticket must meet for `user`, or None when they see everything."""
    if not team_restricted(user):
        return None
    return Q(team__isnull=True) | Q(team__agents__user=user) | Q(assignee=user)


def tickets_visible_to(user, qs: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    qs = Ticket.objects.all() if qs is None else qs
    condition = ticket_visibility_q(user)
    if condition is None:
        return qs
    # A subquery keeps the team join from duplicating rows of the outer queryset.
    visible = Ticket.objects.filter(condition).values("pk")
    return qs.filter(pk__in=visible)


def ticket_visible(user, ticket: Ticket) -> bool:
    condition = ticket_visibility_q(user)
    if condition is None:
        return True
    return Ticket.objects.filter(condition, pk=ticket.pk).exists()
