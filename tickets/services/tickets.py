"""Changing a ticket: status, assignee, priority, team, tags.

One change at a time (`ticket_set_status`, `ticket_assign`, ...: what operators do), or
several as one (`TicketUpdate`: what a rule pass, the bot and routing do).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.utils import timezone

from helpdesk.exceptions import ApplicationError
from tickets import dispatch
from tickets.models import PRIORITY_RANK, Status, Tag, Team, Ticket, TicketEvent
from tickets.services.events import ticket_event_record, ticket_publish
from tickets.services.message_facts import ticket_tag_ids_put


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


_STATUS_FIELDS = ["status", "solved_at", "closed_at", "reopen_count", "updated_at"]


def _status_apply(ticket: Ticket, status: str, now) -> None:
    """Move the ticket object to `status` with the solve / close / reopen bookkeeping."""
    previous = ticket.status
    ticket.status = status
    if status == Status.SOLVED:
        ticket.solved_at = now
    elif status == Status.CLOSED:
        # Closing keeps the solve time; closing an unsolved ticket solves it now.
        ticket.closed_at = now
        ticket.solved_at = ticket.solved_at or now
    elif previous == Status.SOLVED:
        ticket.solved_at = None
        ticket.reopen_count += 1


def ticket_set_status(*, ticket: Ticket, status: str, actor=None, actor_label: str = "") -> Ticket:
    if status not in Status.values:
        raise ApplicationError(f"Unknown status {status!r}.")
    with transaction.atomic():
        ticket = _locked(ticket)
        previous = ticket.status
        if previous == status:
            return ticket
        if previous == Status.CLOSED:
            raise ApplicationError("A closed ticket cannot change status.")
        now = timezone.now()
        _status_apply(ticket, status, now)
        ticket.updated_at = now
        ticket.save(update_fields=_STATUS_FIELDS)
        ticket_event_record(
            ticket=ticket,
            kind="status_changed",
            actor=actor,
            actor_label=actor_label,
            data={"from": previous, "to": status},
        )
        dispatch.emit(dispatch.STATUS_CHANGED, ticket=ticket, previous_status=previous)
        ticket_publish(ticket=ticket, event_type="ticket.updated")
    return ticket


def _change(
    *, ticket: Ticket, field: str, new, values: dict, kind: str, actor, actor_label: str
) -> Ticket:
    """Set `values` on the locked ticket unless `field` already holds `new`; log and tell."""
    with transaction.atomic():
        ticket = _locked(ticket)
        previous = getattr(ticket, field)
        if previous == new:
            return ticket
        for name, value in values.items():
            setattr(ticket, name, value)
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=[*values, "updated_at"])
        ticket_event_record(
            ticket=ticket,
            kind=kind,
            actor=actor,
            actor_label=actor_label,
            data={"from": previous, "to": new},
        )
        dispatch.emit(dispatch.TICKET_UPDATED, ticket=ticket, fields=[field.removesuffix("_id")])
        ticket_publish(ticket=ticket, event_type="ticket.updated")
    return ticket


def ticket_assign(*, ticket: Ticket, assignee, actor=None, actor_label: str = "") -> Ticket:
    return _change(
        ticket=ticket,
        field="assignee_id",
        new=assignee.pk if assignee else None,
        values={"assignee": assignee},
        kind="assigned",
        actor=actor,
        actor_label=actor_label,
    )


def ticket_set_priority(
    *, ticket: Ticket, priority: str, actor=None, actor_label: str = ""
) -> Ticket:
    if priority not in PRIORITY_RANK:
        raise ApplicationError(f"Unknown priority {priority!r}.")
    return _change(
        ticket=ticket,
        field="priority",
        new=priority,
        values={"priority": priority, "priority_rank": PRIORITY_RANK[priority]},
        kind="priority_changed",
        actor=actor,
        actor_label=actor_label,
    )


def ticket_set_team(
    *, ticket: Ticket, team: Team | None, actor=None, actor_label: str = ""
) -> Ticket:
    return _change(
        ticket=ticket,
        field="team_id",
        new=team.pk if team else None,
        values={"team": team},
        kind="team_changed",
        actor=actor,
        actor_label=actor_label,
    )


def ticket_set_tags(
    *,
    ticket: Ticket,
    add: list[Tag] = (),
    remove: list[Tag] = (),
    actor=None,
    actor_label: str = "",
) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        current = set(ticket.tags.values_list("pk", flat=True))
        to_add = [t for t in add if t.pk not in current]
        to_remove = [t for t in remove if t.pk in current]
        if not to_add and not to_remove:
            return ticket
        ticket.tags.add(*to_add)
        ticket.tags.remove(*to_remove)
        now_ids = (current | {t.pk for t in to_add}) - {t.pk for t in to_remove}
        ticket_tag_ids_put(ticket_id=ticket.pk, tag_ids=frozenset(now_ids))
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["updated_at"])
        ticket_event_record(
            ticket=ticket,
            kind="tags_changed",
            actor=actor,
            actor_label=actor_label,
            data={"added": [t.name for t in to_add], "removed": [t.name for t in to_remove]},
        )
        dispatch.emit(dispatch.TICKET_UPDATED, ticket=ticket, fields=["tags"])
        ticket_publish(ticket=ticket, event_type="ticket.updated")
    return ticket


def ticket_sla_due_set(*, ticket_id: int, due_at) -> None:
    """Record the ticket's nearest SLA due time (from `sla`: a value, or a query expression
    computing it inside the same UPDATE); no event, it is derived data."""
    Ticket.objects.filter(pk=ticket_id).update(sla_due_at=due_at)


# --- several changes as one ------------------------------------------------------------------

_FIELDS = {
    "priority": ["priority", "priority_rank"],
    "team": ["team"],
    "assignee": ["assignee"],
}


class TicketUpdate:
    """Several changes to one ticket written as one: one UPDATE of the ticket, one bulk
    insert of its events (each naming who made it: "rule:12", "routing", "bot"), one
    TICKET_UPDATED listing every changed field (so `sla` and the other subscribers react
    once), STATUS_CHANGED when the status moved, and one live update on commit.

    Begun with `ticket_update_begin`. Each change applies to `update.ticket` at once, so the
    next step sees it (the next rule, routing's skills by tag); no change, no event, as with
    the one-at-a-time services. Once the ticket is closed only tags still change (as rules
    always did). `ticket_update_save` writes everything and returns the ticket.
    """

    def __init__(self, ticket: Ticket, *, actor=None):
        self.ticket = ticket
        self.actor = actor
        self.previous_status = ticket.status
        self._events: list[TicketEvent] = []
        self._fields: list[str] = []  # as TICKET_UPDATED names them: priority, team, ...
        self._status_touched = False
        self._tags: dict[int, str] | None = None
        self._tags_added: dict[int, Tag] = {}
        self._tags_removed: dict[int, Tag] = {}
        # Routing's round-robin cursor to move (TeamRouting pk, AgentProfile pk): written by
        # `ticket_update_save` with the rest, whether or not the assignee changed.
        self.routing_cursor: tuple[int, int] | None = None

    # -- reading the state as changed so far

    @property
    def tags(self) -> dict[int, str]:
        """The ticket's tags (id: name) including the changes made so far (read once)."""
        if self._tags is None:
            self._tags = dict(self.ticket.tags.values_list("pk", "name"))
        return self._tags

    @property
    def tag_ids(self) -> set[int]:
        return set(self.tags)

    @property
    def changed(self) -> bool:
        return bool(self._events)

    def _event(self, kind: str, actor_label: str, data: dict) -> None:
        actor = self.actor
        self._events.append(
            TicketEvent(
                ticket=self.ticket,
                kind=kind,
                actor=actor,
                actor_label=actor_label or (actor.get_username() if actor else "system"),
                data=data,
            )
        )

    def _field(self, name: str) -> None:
        if name not in self._fields:
            self._fields.append(name)

    def _closed(self) -> bool:
        return self.ticket.status == Status.CLOSED

    # -- changes

    def record(self, *, kind: str, actor_label: str = "", data: dict | None = None) -> None:
        """An event that is no field change (say "menu_chosen"), written in order with the
        changes around it."""
        self._event(kind, actor_label, data or {})

    def rebase(self, ticket: Ticket) -> None:
        """Continue on `ticket` (current and locked: what a reply or the menu just saved).
        Another object than the one changed so far needs the pending changes saved first."""
        if ticket is self.ticket:
            return
        if self.changed:
            raise ValueError("Save the pending changes first.")
        self.ticket, self._tags = ticket, None
        self.previous_status = ticket.status

    def set_tags(self, *, add=(), remove=(), actor_label: str = "") -> None:
        current = self.tags
        to_add = list({t.pk: t for t in add if t.pk not in current}.values())
        to_remove = list({t.pk: t for t in remove if t.pk in current}.values())
        if not to_add and not to_remove:
            return
        for tag in to_add:
            current[tag.pk] = tag.name
            if self._tags_removed.pop(tag.pk, None) is None:
                self._tags_added[tag.pk] = tag
        for tag in to_remove:
            current.pop(tag.pk, None)
            if self._tags_added.pop(tag.pk, None) is None:
                self._tags_removed[tag.pk] = tag
        self._event(
            "tags_changed",
            actor_label,
            {"added": [t.name for t in to_add], "removed": [t.name for t in to_remove]},
        )
        self._field("tags")

    def set_priority(self, *, priority: str, actor_label: str = "", only_raise: bool = False):
        if priority not in PRIORITY_RANK:
            raise ApplicationError(f"Unknown priority {priority!r}.")
        ticket = self.ticket
        previous = ticket.priority
        if self._closed() or previous == priority:
            return
        if only_raise and PRIORITY_RANK[priority] >= PRIORITY_RANK[previous]:
            return
        ticket.priority, ticket.priority_rank = priority, PRIORITY_RANK[priority]
        self._event("priority_changed", actor_label, {"from": previous, "to": priority})
        self._field("priority")

    def set_team(self, *, team: Team | None, actor_label: str = "") -> None:
        previous = self.ticket.team_id
        new = team.pk if team else None
        if self._closed() or previous == new:
            return
        self.ticket.team = team
        self._event("team_changed", actor_label, {"from": previous, "to": new})
        self._field("team")

    def assign(self, *, assignee, actor_label: str = "") -> None:
        previous = self.ticket.assignee_id
        new = assignee.pk if assignee else None
        if self._closed() or previous == new:
            return
        self.ticket.assignee = assignee
        self._event("assigned", actor_label, {"from": previous, "to": new})
        self._field("assignee")

    def set_status(self, *, status: str, actor_label: str = "") -> None:
        if status not in Status.values:
            raise ApplicationError(f"Unknown status {status!r}.")
        previous = self.ticket.status
        if self._closed() or previous == status:
            return
        _status_apply(self.ticket, status, timezone.now())
        self._status_touched = True
        self._event("status_changed", actor_label, {"from": previous, "to": status})


def ticket_update_begin(
    *, ticket: Ticket, locked: bool = False, new: bool = False, actor=None
) -> TicketUpdate:
    """Start changing a ticket. Inside a transaction: the ticket's row is locked and re-read,
    unless the caller already holds the lock on a current object (`locked=True`: the
    intake's subscribers, whose transaction created or locked the ticket). `new`: the
    ticket was created in this transaction and has no tags yet (nothing to read)."""
    update = TicketUpdate(ticket if locked else _locked(ticket), actor=actor)
    if new:
        update._tags = {}
    return update


def _cursor_write(cursor: tuple[int, int]) -> None:
    from tickets.automation.models import TeamRouting

    TeamRouting.objects.filter(pk=cursor[0]).update(last_agent_id=cursor[1])


def _write_plain(
    ticket: Ticket, fields: list[str] | None, update: TicketUpdate, cursor: tuple | None
) -> None:
    if fields is not None:
        ticket.save(update_fields=fields)
    if update._tags_added:
        ticket.tags.add(*update._tags_added.values())
    if update._tags_removed:
        ticket.tags.remove(*update._tags_removed.values())
    TicketEvent.objects.bulk_create(update._events)
    if cursor is not None:
        _cursor_write(cursor)


def _one_statement_ok() -> bool:
    """PostgreSQL, and nobody listens to the signals the ORM's writes would send (the one
    statement sends none)."""
    if connection.vendor != "postgresql":
        return False
    through = Ticket.tags.through
    return not (
        pre_save.has_listeners(Ticket)
        or post_save.has_listeners(Ticket)
        or m2m_changed.has_listeners(through)
    )


def _write_one_statement(
    ticket: Ticket, fields: list[str] | None, update: TicketUpdate, cursor: tuple | None
) -> None:
    """What `_write_plain` writes, as one PostgreSQL statement: the ticket UPDATE, the tag
    rows, the cursor UPDATE as data-modifying CTEs of the events INSERT (one round trip).
    Only quoted table and column names go into the SQL text; every value is a parameter."""
    from tickets.automation.models import TeamRouting

    qn = connection.ops.quote_name
    ctes: list[str] = []
    params: list = []
    if fields is not None:
        model_fields = [Ticket._meta.get_field(name) for name in fields]
        sets = ", ".join(f"{qn(f.column)} = %s" for f in model_fields)
        params += [f.get_db_prep_save(f.pre_save(ticket, False), connection) for f in model_fields]
        table, pk = qn(Ticket._meta.db_table), qn(Ticket._meta.pk.column)
        ctes.append(f"_ticket AS (UPDATE {table} SET {sets} WHERE {pk} = %s)")  # noqa: S608
        params.append(ticket.pk)
    through = Ticket.tags.through._meta
    ticket_col = through.get_field("ticket").column
    tag_col = through.get_field("tag").column
    if update._tags_added:
        rows = ", ".join("(%s, %s)" for _ in update._tags_added)
        insert = f"INSERT INTO {qn(through.db_table)} ({qn(ticket_col)}, {qn(tag_col)})"
        ctes.append(f"_tags_added AS ({insert} VALUES {rows} ON CONFLICT DO NOTHING)")
        for tag_id in update._tags_added:
            params += [ticket.pk, tag_id]
    if update._tags_removed:
        marks = ", ".join("%s" for _ in update._tags_removed)
        where = f"{qn(ticket_col)} = %s AND {qn(tag_col)} IN ({marks})"
        delete = f"DELETE FROM {qn(through.db_table)} WHERE {where}"  # noqa: S608
        ctes.append(f"_tags_removed AS ({delete})")
        params += [ticket.pk, *update._tags_removed]
    if cursor is not None:
        routing = TeamRouting._meta
        table, pk = qn(routing.db_table), qn(routing.pk.column)
        column = qn(routing.get_field("last_agent").column)
        ctes.append(f"_cursor AS (UPDATE {table} SET {column} = %s WHERE {pk} = %s)")  # noqa: S608
        params += [cursor[1], cursor[0]]
    event_fields = [f for f in TicketEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(qn(f.column) for f in event_fields)
    row = "(" + ", ".join("%s" for _ in event_fields) + ")"
    for event in update._events:
        params += [f.get_db_prep_save(f.pre_save(event, True), connection) for f in event_fields]
    sql = (
        (f"WITH {', '.join(ctes)} " if ctes else "")
        + f"INSERT INTO {qn(TicketEvent._meta.db_table)} ({columns}) "
        + f"VALUES {', '.join(row for _ in update._events)} "
        + f"RETURNING {qn(TicketEvent._meta.pk.column)}"
    )
    with connection.cursor() as db:
        db.execute(sql, params)
        ids = [r[0] for r in db.fetchall()]
    for event, pk in zip(update._events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias


def ticket_update_save(*, update: TicketUpdate) -> Ticket:
    """Write an update: nothing when nothing changed; only the events when no field did
    (and routing's cursor when it moved). On PostgreSQL the writes are one statement."""
    ticket = update.ticket
    cursor, update.routing_cursor = update.routing_cursor, None
    if not update.changed:
        if cursor is not None:
            _cursor_write(cursor)
        return ticket
    touched = bool(update._fields) or update._status_touched
    status_moved = ticket.status != update.previous_status
    fields = [name for f in update._fields if f != "tags" for name in _FIELDS[f]]
    if update._status_touched:
        fields += _STATUS_FIELDS[:-1]
    with transaction.atomic(savepoint=False):
        if touched:
            ticket.updated_at = timezone.now()
        write = _write_one_statement if _one_statement_ok() else _write_plain
        write(ticket, [*fields, "updated_at"] if touched else None, update, cursor)
        if update._tags is not None:  # the tags as now written, for `sla` reacting next
            ticket_tag_ids_put(ticket_id=ticket.pk, tag_ids=frozenset(update._tags))
        fields_changed, previous_status = update._fields, update.previous_status
        update._events, update._fields, update._status_touched = [], [], False
        update._tags_added, update._tags_removed = {}, {}
        update.previous_status = ticket.status
        if fields_changed:
            dispatch.emit(dispatch.TICKET_UPDATED, ticket=ticket, fields=fields_changed)
        if status_moved:
            dispatch.emit(dispatch.STATUS_CHANGED, ticket=ticket, previous_status=previous_status)
        if touched:
            ticket_publish(ticket=ticket, event_type="ticket.updated")
    return ticket
