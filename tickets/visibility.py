"""Who may see which tickets: one rule for pages, the API and exports.

Managers and admins see every ticket. Operators see every ticket too, unless an admin turns
on WorkspaceSettings.restrict_operators_to_teams: then an operator sees the tickets of the
teams they belong to, tickets with no team, and tickets assigned to them.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from helpdesk.roles import MANAGER, has_role
from tickets.models import Ticket, WorkspaceSettings


def workspace_settings() -> WorkspaceSettings:
    return WorkspaceSettings.objects.get_or_create(pk=1)[0]


def restriction_switch_on() -> bool:
    """The workspace switch itself (one query): operators restricted to their teams."""
    return WorkspaceSettings.objects.filter(pk=1, restrict_operators_to_teams=True).exists()


def team_restriction_known(user, restricted: bool) -> None:
    """Tell the rules below the switch as the caller has just read it (a websocket process
    reads it once for all its connections), so they do not read it again for `user`."""
    user._helpdesk_team_restricted = restricted


def team_restricted(user, *, fresh: bool = False) -> bool:
    """True if `user` only sees their teams' tickets.

    The switch is read once per user object (one request); `fresh` reads it again (a
    websocket connection lives longer than a request)."""
    if has_role(user, MANAGER):
        return False
    cached = getattr(user, "_helpdesk_team_restricted", None)
    if cached is not None and not fresh:
        return cached
    restricted = restriction_switch_on()
    if user is not None:
        team_restriction_known(user, restricted)
    return restricted


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


def visible_ticket_or_404(user, ticket_id, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    """The ticket `user` may open, or Http404: another team's ticket does not exist for a
    restricted operator (a 403 would confirm the number is in use)."""
    qs = tickets_visible_to(user, Ticket.objects.all() if queryset is None else queryset)
    try:
        return qs.get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("No such ticket.") from None


def visible_ticket_ids(user, ticket_ids) -> set[int]:
    """Those of `ticket_ids` that `user` may see (one query; none when unrestricted)."""
    ids = {int(pk) for pk in ticket_ids}
    if ticket_visibility_q(user) is None:
        return ids
    return set(
        tickets_visible_to(user, Ticket.objects.filter(pk__in=ids)).values_list("pk", flat=True)
    )
