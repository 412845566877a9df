"""Finding the customer behind a channel identity."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from tickets.inbound import SenderIdentity
from tickets.models import Channel, Customer, CustomerIdentity


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
    identity = (
        CustomerIdentity.objects.select_related("customer")
        .filter(channel=channel, external_id=sender.external_id)
        .first()
    )
    if identity:
        return identity.customer, identity
    customer = _match_existing_customer(sender)
    if customer is None:
        customer = Customer.objects.create(
            name=sender.name,
            email=sender.email,
            phone=sender.phone,
            language=sender.language,
        )
    try:
        with transaction.atomic():
            identity = CustomerIdentity.objects.create(
                customer=customer,
                channel=channel,
                external_id=sender.external_id,
                display_name=sender.name,
                username=sender.username,
            )
    except IntegrityError:
        # Another intake created the same identity meanwhile: use theirs.
        identity = CustomerIdentity.objects.select_related("customer").get(
            channel=channel, external_id=sender.external_id
        )
        return identity.customer, identity
    return customer, identity
