"""What one step of an inbound message knows that a later step would otherwise ask the
database (kept in the message's scope, helpdesk.scoped_cache; nothing outside a scope).

The intake creates the customer and the ticket, so it knows a new customer has no other
ticket and a new ticket has no tags and no SLA clocks; a ticket change that has just written
the tags knows them. Only the code that wrote a fact puts it, and code that changes the
fact otherwise puts the new value or forgets it (None: unknown, read the database).
"""

from __future__ import annotations

from helpdesk.scoped_cache import scoped_peek, scoped_put

_NS = "intake"  # not forgotten by configuration edits (those forget "automation", "sla")


def ticket_created_put(*, ticket_id: int) -> None:
    """The ticket was created in this scope: no tags, no clocks, no status watch yet."""
    scoped_put((_NS, "ticket_new", ticket_id), True)
    ticket_tag_ids_put(ticket_id=ticket_id, tag_ids=frozenset())


def ticket_is_new(*, ticket_id: int) -> bool:
    return bool(scoped_peek((_NS, "ticket_new", ticket_id)))


def ticket_tag_ids_put(*, ticket_id: int, tag_ids: frozenset[int] | None) -> None:
    """The ticket's tag ids as just written (None: unknown from now on)."""
    scoped_put((_NS, "tag_ids", ticket_id), tag_ids)


def ticket_tag_ids_known(*, ticket_id: int) -> frozenset[int] | None:
    return scoped_peek((_NS, "tag_ids", ticket_id))


def customer_other_tickets_put(*, customer_id: int, ticket_id: int, value: bool) -> None:
    """Whether the customer has tickets besides this one (the intake: a customer it has
    just created has none)."""
    scoped_put((_NS, "customer_other_tickets", customer_id, ticket_id), value)


def customer_other_tickets_known(*, customer_id: int, ticket_id: int) -> bool | None:
    return scoped_peek((_NS, "customer_other_tickets", customer_id, ticket_id))
