"""Routing's two reads on the intake's hot path, as plain SQL (no queryset to compile).

`agents_lock` locks teams' agents (`FOR UPDATE OF` the agent rows, in pk order) and reads
each agent's user and skills row in the same statement; `loads_and_cursor` then counts the
active tickets of the online agents and reads the team's round-robin cursor. They stay two
statements: under READ COMMITTED a statement sees the rows committed before it started, so
loads counted in the locking statement could miss a ticket another intake assigned while we
waited for its lock, and two intakes would fill the same slot.

Only quoted table and column names (from the models' meta) go into the SQL text; every value
is a parameter. The statement texts are built once per process and connection vendor.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection

from tickets.automation.models import AgentSkills, TeamRouting
from tickets.models import ACTIVE_STATUSES, AgentProfile, Ticket

_CURSOR_ROW = -1  # marks the cursor's row among the load rows


def _columns(model, alias: str) -> str:
    qn = connection.ops.quote_name
    return ", ".join(f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields)


@cache
def _lock_sql(vendor: str, n_teams: int) -> str:
    qn = connection.ops.quote_name
    user = get_user_model()
    agent, skills = AgentProfile._meta, AgentSkills._meta
    through = AgentProfile.teams.through._meta
    lock = ""
    if connection.features.has_select_for_update_of:
        lock = " FOR UPDATE OF a"
    elif connection.features.has_select_for_update:
        lock = " FOR UPDATE"
    columns = f"{_columns(AgentProfile, 'a')}, {_columns(user, 'u')}, s.{qn(skills.pk.column)}"
    user_join = f"u.{qn(user._meta.pk.column)} = a.{qn(agent.get_field('user').column)}"
    skills_join = f"s.{qn(skills.get_field('agent').column)} = a.{qn(agent.pk.column)}"
    members = (
        f"SELECT {qn(through.get_field('agentprofile').column)} "  # noqa: S608
        f"FROM {qn(through.db_table)} "
        f"WHERE {qn(through.get_field('team').column)} IN ({', '.join(['%s'] * n_teams)})"
    )
    return (
        f"SELECT {columns} FROM {qn(agent.db_table)} a "  # noqa: S608
        f"INNER JOIN {qn(user._meta.db_table)} u ON {user_join} "
        f"LEFT OUTER JOIN {qn(skills.db_table)} s ON {skills_join} "
        f"WHERE a.{qn(agent.pk.column)} IN ({members}) ORDER BY a.{qn(agent.pk.column)}{lock}"
    )


def agents_lock(team_ids: list[int]) -> list[AgentProfile]:
    """The teams' agents, locked in pk order (every locker takes this order: no deadlock),
    each with its user and skills row (if any) cached on it (`agent.user`, `agent.skills`
    cost no query). Only agent rows are locked."""
    if not team_ids:
        return []
    user_model = get_user_model()
    n_agent = len(AgentProfile._meta.concrete_fields)
    n_user = len(user_model._meta.concrete_fields)
    alias = connection.alias
    with connection.cursor() as db:
        db.execute(_lock_sql(connection.vendor, len(team_ids)), list(team_ids))
        rows = db.fetchall()
    agents = []
    for row in rows:
        agent = AgentProfile.from_db(alias, None, row[:n_agent])
        agent._state.fields_cache["user"] = user_model.from_db(
            alias, None, row[n_agent : n_agent + n_user]
        )
        skills_id = row[n_agent + n_user]
        skills = None
        if skills_id is not None:
            skills = AgentSkills(pk=skills_id, agent=agent)
            skills._state.adding = False
            skills._state.db = alias
        agent._state.fields_cache["skills"] = skills
        agents.append(agent)
    return agents


@cache
def _loads_sql(vendor: str, n_users: int, n_statuses: int, exclude: bool, cursor: bool) -> str:
    qn = connection.ops.quote_name
    meta = Ticket._meta
    assignee = qn(meta.get_field("assignee").column)
    marks = ", ".join("%s" for _ in range(n_users))
    statuses = ", ".join("%s" for _ in range(n_statuses))
    sql = (
        f"SELECT {assignee}, COUNT(*) FROM {qn(meta.db_table)} "  # noqa: S608
        f"WHERE {assignee} IN ({marks}) AND {qn(meta.get_field('status').column)} IN ({statuses})"
        + (f" AND {qn(meta.pk.column)} <> %s" if exclude else "")
        + f" GROUP BY {assignee}"
    )
    if cursor:
        routing = TeamRouting._meta
        last_agent = qn(routing.get_field("last_agent").column)
        sql += (
            f" UNION ALL SELECT {last_agent}, {_CURSOR_ROW} "  # noqa: S608
            f"FROM {qn(routing.db_table)} WHERE {qn(routing.pk.column)} = %s"
        )
    return sql


def loads_and_cursor(
    user_ids: list[int],
    *,
    statuses: list[str] = ACTIVE_STATUSES,
    exclude_ticket: int | None,
    routing_id: int | None,
) -> tuple[dict[int, int], int]:
    """Active tickets per agent (user id → count; agents with none are absent) and the
    team's round-robin cursor (the last agent's pk, 0 for none), in one statement."""
    sql = _loads_sql(
        connection.vendor,
        len(user_ids),
        len(statuses),
        exclude_ticket is not None,
        routing_id is not None,
    )
    params: list = [*user_ids, *statuses]
    if exclude_ticket is not None:
        params.append(exclude_ticket)
    if routing_id is not None:
        params.append(routing_id)
    loads: dict[int, int] = {}
    cursor = 0
    with connection.cursor() as db:
        db.execute(sql, params)
        for key, n in db.fetchall():
            if n == _CURSOR_ROW:
                cursor = key or 0
            else:
                loads[key] = n
    return loads, cursor
