"""Writes to configuration rows from the API: teams, tags, agent profiles, canned responses,
automation rules, customers and their channel identities.

Each write validates the model (`full_clean`), saves in a transaction and, for
configuration, appends an audit entry naming the changed fields (never their values when
they may be secret).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError, RestrictedError

from helpdesk.audit.services import audit_record
from helpdesk.exceptions import ApplicationError
from tickets.automation.models import Rule
from tickets.models import (
    AgentProfile,
    CannedResponse,
    Customer,
    CustomerIdentity,
    Tag,
    Team,
)


class ConfigInvalid(ApplicationError):
    code = "invalid"


class InUse(ApplicationError):
    status_code = 409
    code = "in_use"


def config_save(
    *,
    instance: Model,
    values: dict[str, Any],
    m2m: dict[str, Iterable] | None = None,
    actor=None,
    action: str = "",
    audit: bool = True,
) -> Model:
    """Set `values` (and many-to-many `m2m`) on `instance`, validate, save; record who did it.

    A model validation error is raised as django's ValidationError (the API turns it into a
    400 with the fields); a uniqueness race is reported the same way.
    """
    creating = instance.pk is None
    changed = [
        name for name, value in values.items() if creating or getattr(instance, name) != value
    ]
    for name, value in values.items():
        setattr(instance, name, value)
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
            for name, items in (m2m or {}).items():
                getattr(instance, name).set(list(items))
                changed.append(name)
            if audit:
                label = instance._meta.model_name
                audit_record(
                    action=action or f"{label}.{'created' if creating else 'changed'}",
                    actor=actor,
                    target=instance,
                    data={"fields": sorted(set(changed))},
                )
    except IntegrityError as exc:
        raise ConfigInvalid("This conflicts with an existing row (a unique value).") from exc
    return instance


def config_delete(*, instance: Model, actor=None) -> None:
    label = instance._meta.model_name
    try:
        with transaction.atomic():
            audit_record(action=f"{label}.deleted", actor=actor, target=instance)
            instance.delete()
    except (IntegrityError, ProtectedError, RestrictedError) as exc:
        raise InUse(f"This {label} is still in use.") from exc


# --- teams, tags, agents ----------------------------------------------------------------


def team_save(*, team: Team | None = None, name: str, actor=None) -> Team:
    return config_save(instance=team or Team(), values={"name": name.strip()}, actor=actor)


def tag_save(*, tag: Tag | None = None, values: dict, actor=None) -> Tag:
    return config_save(instance=tag or Tag(), values=values, actor=actor)


def agent_update(
    *, profile: AgentProfile, values: dict, teams: list[Team] | None = None, actor=None
) -> AgentProfile:
    return config_save(
        instance=profile,
        values=values,
        m2m={"teams": teams} if teams is not None else None,
        actor=actor,
    )


# --- canned responses ---------------------------------------------------------------------


def canned_save(*, canned: CannedResponse | None = None, values: dict, actor=None):
    return config_save(
        instance=canned or CannedResponse(),
        values=values,
        actor=actor,
        # Personal responses are the operator's own business; shared ones are configuration.
        audit=values.get("owner", getattr(canned, "owner", None)) is None,
    )


# --- rules ---------------------------------------------------------------------------------


def rule_save(*, rule: Rule | None = None, values: dict, actor=None) -> Rule:
    """Create or change an automation rule; conditions and actions are validated by the
    engine (Rule.clean) so a broken rule never reaches the queue."""
    return config_save(instance=rule or Rule(), values=values, actor=actor)


# --- customers -------------------------------------------------------------------------------


def customer_update(*, customer: Customer, values: dict, actor=None) -> Customer:
    if customer.erased_at:
        raise ConfigInvalid("This customer's personal data was erased.")
    return config_save(
        instance=customer, values=values, actor=actor, action="customer.changed", audit=False
    )


def customer_identity_add(
    *, customer: Customer, channel, external_id: str, display_name: str = "", username: str = ""
) -> CustomerIdentity:
    """Link a channel account to the customer (e.g. their Telegram id known from the CRM)."""
    external_id = external_id.strip()
    if not external_id:
        raise ConfigInvalid("external_id is required.")
    taken = (
        CustomerIdentity.objects.filter(channel=channel, external_id=external_id)
        .values_list("customer_id", flat=True)
        .first()
    )
    if taken is not None:
        raise ConfigInvalid(
            f"This account already belongs to customer #{taken}; link the customers instead.",
            extra={"customer": taken},
        )
    try:
        with transaction.atomic():
            return CustomerIdentity.objects.create(
                customer=customer,
                channel=channel,
                external_id=external_id,
                display_name=display_name,
                username=username,
            )
    except IntegrityError as exc:
        raise ConfigInvalid("This account was just linked to another customer.") from exc


def customer_identity_remove(*, identity: CustomerIdentity) -> None:
    """Unlink a channel account; the next message from it starts a new customer."""
    identity.delete()
