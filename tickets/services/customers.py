"""Finding the customer behind a channel identity."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from helpdesk.exceptions import ApplicationError
from tickets import dispatch
from tickets.inbound import SenderIdentity
from tickets.models import Channel, Customer, CustomerIdentity, Ticket, TicketEvent
from tickets.services.inserts import insert_ignoring_conflict, insert_ignoring_conflict_ok


def _match_existing_customer(sender: SenderIdentity) -> Customer | None:
    """The same person on another channel is the same customer when email or phone match."""
    if sender.email:
        found = Customer.objects.filter(email__iexact=sender.email).order_by("pk").first()
        if found:
            return found
    if sender.phone:
        return Customer.objects.filter(phone=sender.phone).order_by("pk").first()
    return None


def customer_get_or_create_for_identity(
    *, channel: Channel, sender: SenderIdentity
) -> tuple[Customer, CustomerIdentity]:
    customer, identity, _created = customer_resolve_for_identity(channel=channel, sender=sender)
    return customer, identity


def _identity_find(*, channel: Channel, external_id: str) -> CustomerIdentity | None:
    return (
        CustomerIdentity.objects.select_related("customer")
        .filter(channel=channel, external_id=external_id)
        .first()
    )


def customer_resolve_for_identity(
    *, channel: Channel, sender: SenderIdentity
) -> tuple[Customer, CustomerIdentity, bool]:
    """The customer behind the identity (created with it when nobody matches); the flag
    says the customer row was created by this call (so it has no tickets yet)."""
    identity = _identity_find(channel=channel, external_id=sender.external_id)
    if identity:
        return identity.customer, identity, False
    customer = _match_existing_customer(sender)
    created = customer is None
    if customer is None:
        customer = Customer.objects.create(
            name=sender.name,
            email=sender.email,
            phone=sender.phone,
            language=sender.language,
        )
    identity = CustomerIdentity(
        customer=customer,
        channel=channel,
        external_id=sender.external_id,
        display_name=sender.name,
        username=sender.username,
    )
    if insert_ignoring_conflict_ok(CustomerIdentity):
        inserted = insert_ignoring_conflict(identity)  # no savepoint
    else:
        try:
            with transaction.atomic():
                identity.save(force_insert=True)
            inserted = True
        except IntegrityError:
            inserted = False
    if not inserted:
        # Another intake created the same identity meanwhile: use theirs.
        identity = CustomerIdentity.objects.select_related("customer").get(
            channel=channel, external_id=sender.external_id
        )
        return identity.customer, identity, False
    return customer, identity, created


class CustomerMergeError(ApplicationError):
    code = "customer_merge_invalid"


def customer_merge(*, source: Customer, target: Customer, actor=None) -> Customer:
    """Link two customers as one person: `target` survives and receives `source`'s identities
    and tickets; contact details it lacks are copied; `source` points at `target`.

    Every moved ticket records a `customer_merged` event.
    """
    if source.pk == target.pk:
        raise CustomerMergeError("A customer cannot be linked to themselves.")
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
        }
        if len(locked) != 2:
            raise CustomerMergeError("The customer to link does not exist.")
        source, target = locked[source.pk], locked[target.pk]
        if source.merged_into_id or target.merged_into_id:
            raise CustomerMergeError("This customer was already linked into another one.")
        ticket_ids = list(Ticket.objects.filter(customer=source).values_list("pk", flat=True))
        CustomerIdentity.objects.filter(customer=source).update(customer=target)
        Ticket.objects.filter(pk__in=ticket_ids).update(customer=target)
        for field in ("name", "email", "phone", "language", "external_id"):
            if not getattr(target, field) and getattr(source, field):
                setattr(target, field, getattr(source, field))
        if source.notes.strip():
            target.notes = "\n\n".join(n for n in (target.notes.strip(), source.notes.strip()) if n)
        target.save()
        source.merged_into = target
        source.save(update_fields=["merged_into"])
        label = actor.get_username() if actor else "system"
        TicketEvent.objects.bulk_create(
            TicketEvent(
                ticket_id=pk,
                kind="customer_merged",
                actor=actor,
                actor_label=label,
                data={"from": source.pk, "into": target.pk},
            )
            for pk in ticket_ids
        )
        # Subscribers (metrics' customer sequences, FCR) learn each ticket changed hands.
        for ticket in Ticket.objects.filter(pk__in=ticket_ids):
            dispatch.emit(dispatch.TICKET_UPDATED, ticket=ticket, fields=["customer"])
    return target


def customer_set_notes(*, customer: Customer, notes: str, actor=None) -> Customer:
    customer.notes = (notes or "").strip()
    customer.save(update_fields=["notes"])
    return customer
