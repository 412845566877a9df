"""Routing: which team a new ticket goes to and which agent takes it.

Per team (TeamRouting): round-robin or least-loaded among online agents with free capacity
(active assigned tickets < AgentProfile.capacity), skills by tag (AgentSkills), sticky to
the customer's previous agent, and the team queue (unassigned) when nobody is free.

Concurrency: the team's AgentProfile rows are locked (`SELECT ... FOR UPDATE`, ordered by
pk) before loads are counted, so two intakes never fill the same free slot. Runs inside the
caller's transaction (the intake's). The intake picks the agent into its pending
`TicketUpdate` (`ticket_route_pick`), so the assignment is written with the rules' changes.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from helpdesk.scoped_cache import scoped_get, scoped_put
from tickets.automation.models import AgentSkills, Strategy, TeamRouting
from tickets.models import ACTIVE_STATUSES, AgentProfile, OnlineState, Status, Team, Ticket
from tickets.rules.apply import channel_settings
from tickets.services.message_facts import (
    customer_other_tickets_known,
    customer_other_tickets_put,
)
from tickets.services.routing_sql import agents_lock, loads_and_cursor
from tickets.services.tickets import (
    TicketUpdate,
    ticket_assign,
    ticket_set_team,
    ticket_update_begin,
    ticket_update_save,
)

ROUTING_LABEL = "routing"


def customer_has_other_tickets(*, ticket: Ticket) -> bool:
    """Whether the ticket's customer has any other ticket (a repeat customer; someone to
    be sticky to). Read once per scope: the rules and routing both ask (and the intake
    tells when it has just created the customer)."""
    known = customer_other_tickets_known(customer_id=ticket.customer_id, ticket_id=ticket.pk)
    if known is not None:
        return known
    value = Ticket.objects.filter(customer_id=ticket.customer_id).exclude(pk=ticket.pk).exists()
    customer_other_tickets_put(customer_id=ticket.customer_id, ticket_id=ticket.pk, value=value)
    return value


def team_for_channel(*, channel_id: int) -> Team | None:
    """The channel's default team, else the team serving the channel's purpose."""
    settings_ = channel_settings(channel_id)
    if settings_ is None:
        return None
    if settings_.default_team is not None:
        return settings_.default_team
    if settings_.purpose:
        routing = (
            TeamRouting.objects.filter(default_for_purpose=settings_.purpose)
            .select_related("team")
            .order_by("pk")
            .first()
        )
        return routing.team if routing else None
    return None


def ticket_set_default_team(*, ticket: Ticket) -> Ticket:
    """Give a ticket without a team its channel's default team."""
    if ticket.team_id is not None:
        return ticket
    team = team_for_channel(channel_id=ticket.channel_id)
    if team is None:
        return ticket
    return ticket_set_team(ticket=ticket, team=team, actor_label=ROUTING_LABEL)


def default_team_pick(*, update: TicketUpdate) -> None:
    """The same, into a pending update."""
    if update.ticket.team_id is None:
        team = team_for_channel(channel_id=update.ticket.channel_id)
        if team is not None:
            update.set_team(team=team, actor_label=ROUTING_LABEL)


def _routing_key(team_id: int) -> tuple:
    return ("automation", "team_routing", team_id)


def team_routing_put(team: Team) -> None:
    """Hand the scope the team's routing settings read along with it (the intake reads the
    channel's default team with its settings: `select_related("routing")`)."""
    try:
        routing = team.routing
    except TeamRouting.DoesNotExist:
        routing = None
    scoped_put(_routing_key(team.pk), routing)


def _routing_config(team_id: int) -> TeamRouting | None:
    """The team's routing settings (strategy, sticky, skills): read once per scope. The
    cursor is not taken from here (see `_loads_and_cursor`)."""
    return scoped_get(
        _routing_key(team_id), lambda: TeamRouting.objects.filter(team_id=team_id).first()
    )


def _has_skills_row(agent: AgentProfile) -> bool:
    """Whether the agent has an AgentSkills row (read with the agents: no query)."""
    try:
        agent.skills  # noqa: B018
    except AgentSkills.DoesNotExist:
        return False
    return True


def _skilled(
    update: TicketUpdate, team: list[AgentProfile], free: list[AgentProfile], strict: bool
) -> list[AgentProfile]:
    """The free agents with the most of the ticket's skill tags (tags some team member has
    as a skill). None of them free: wait (strict) or anyone free."""
    with_skills = [a.pk for a in team if _has_skills_row(a)]
    if not with_skills:
        return free
    rows = AgentSkills.tags.through.objects.filter(
        agentskills__agent_id__in=with_skills
    ).values_list("agentskills__agent_id", "tag_id")
    skills: dict[int, set[int]] = {}
    for agent_id, tag_id in rows:
        skills.setdefault(agent_id, set()).add(tag_id)
    if not skills:
        return free
    needed = update.tag_ids & set().union(*skills.values())
    if not needed:
        # Skill tags only count when the ticket has one; an untagged ticket goes to anyone.
        return free
    score = {a.pk: len(needed & skills.get(a.pk, set())) for a in free}
    best = max(score.values(), default=0)
    if best == 0:
        return [] if strict else free
    return [a for a in free if score[a.pk] == best]


def ticket_route_pick(
    *,
    update: TicketUpdate,
    strategy: str | None = None,
    exclude_agent_ids: tuple[int, ...] = (),
) -> AgentProfile | None:
    """Choose a free agent of the ticket's team (as the pending update has it: its team, its
    tags) and move the team's round-robin cursor; None: the ticket stays in the team queue.
    The caller assigns `pick.user` (loaded with the pick) and saves the update (which
    writes the cursor, assignment or not)."""
    ticket = update.ticket
    with transaction.atomic(savepoint=False):
        if ticket.team_id is None:
            return None
        agents = agents_lock([ticket.team_id])
        if not agents:
            return None
        config = _routing_config(ticket.team_id)
        strategy = strategy or (config.strategy if config else Strategy.ROUND_ROBIN)
        if strategy == Strategy.MANUAL:
            return None
        online = [
            a
            for a in agents
            if a.online_state == OnlineState.ONLINE and a.pk not in exclude_agent_ids
        ]
        if not online:
            return None
        loads, cursor = loads_and_cursor(
            [a.user_id for a in online],
            exclude_ticket=ticket.pk,
            routing_id=config.pk if config else None,
        )
        free = [a for a in online if loads.get(a.user_id, 0) < a.capacity]
        if free:
            strict = bool(config and config.skills_strict)
            free = _skilled(update, agents, free, strict)
        if not free:
            return None
        pick = None
        if (config is None or config.sticky) and customer_has_other_tickets(ticket=ticket):
            previous = (
                Ticket.objects.filter(customer_id=ticket.customer_id, assignee__isnull=False)
                .exclude(pk=ticket.pk)
                .order_by("-created_at", "-pk")
                .values_list("assignee_id", flat=True)
                .first()
            )
            pick = next((a for a in free if a.user_id == previous), None)
        if pick is None and strategy == Strategy.LEAST_LOADED:
            pick = min(free, key=lambda a: (loads.get(a.user_id, 0) / max(a.capacity, 1), a.pk))
        if pick is None:
            pick = next((a for a in free if a.pk > cursor), free[0])
        if config is None:
            TeamRouting.objects.get_or_create(team_id=ticket.team_id, defaults={"last_agent": pick})
        else:
            # Written with the update (one statement on PostgreSQL), under the agents' lock.
            update.routing_cursor = (config.pk, pick.pk)
        return pick


def ticket_route(
    *,
    ticket: Ticket,
    strategy: str | None = None,
    actor_label: str = ROUTING_LABEL,
    exclude_agent_ids: tuple[int, ...] = (),
):
    """Assign the ticket to a free agent of its team; returns the user, or None (the ticket
    stays in the team queue)."""
    with transaction.atomic():
        update = ticket_update_begin(ticket=ticket)
        pick = ticket_route_pick(
            update=update, strategy=strategy, exclude_agent_ids=exclude_agent_ids
        )
        if pick is None:
            return None
        update.assign(assignee=pick.user, actor_label=actor_label)
        ticket_update_save(update=update)
        return pick.user


def ticket_route_into(*, update: TicketUpdate):
    """The intake's step, into its pending update: a team if none, then an agent if none
    (and the ticket is active). Returns the user picked, or None."""
    default_team_pick(update=update)
    ticket = update.ticket
    if ticket.assignee_id is not None or ticket.status not in ACTIVE_STATUSES:
        return None
    pick = ticket_route_pick(update=update)
    if pick is None:
        return None
    update.assign(assignee=pick.user, actor_label=ROUTING_LABEL)
    return pick.user


def ticket_route_if_unassigned(*, ticket: Ticket):
    """The same for a ticket on its own, written at once."""
    with transaction.atomic():
        update = ticket_update_begin(ticket=ticket)
        user = ticket_route_into(update=update)
        ticket_update_save(update=update)
    return user


def agent_set_online_state(*, agent: AgentProfile, state: str, actor=None) -> AgentProfile:
    """Change an agent's presence. Going offline or away hands their new and open tickets to
    other free agents of the team (or back to the team queue); coming online takes queued
    tickets of the agent's teams, most urgent first, up to free capacity."""
    if state not in OnlineState.values:
        raise ValueError(f"Unknown online state {state!r}.")
    with transaction.atomic():
        team_ids = list(agent.teams.values_list("pk", flat=True))
        agents_lock(team_ids)  # the same pk order as ticket_route: no deadlock
        AgentProfile.objects.filter(pk=agent.pk).update(
            online_state=state, last_seen_at=timezone.now()
        )
        agent.refresh_from_db()
        if state != OnlineState.ONLINE:
            for ticket in Ticket.objects.filter(
                assignee_id=agent.user_id, status__in=[Status.NEW, Status.OPEN]
            ).order_by("priority_rank", "created_at"):
                ticket = ticket_assign(ticket=ticket, assignee=None, actor_label=ROUTING_LABEL)
                ticket_route(ticket=ticket, exclude_agent_ids=(agent.pk,))
        else:
            queued = Ticket.objects.filter(
                team_id__in=team_ids,
                assignee__isnull=True,
                status__in=[Status.NEW, Status.OPEN],
                bot_session__isnull=True,  # the bot is still talking to these customers
            ).order_by("priority_rank", "created_at")
            for ticket in queued[: agent.capacity]:
                ticket_route(ticket=ticket)
    return agent
