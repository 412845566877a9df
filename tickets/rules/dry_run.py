"""The admin's "test this rule on a message": builds a context from form data and explains
the rules. Reads only; nothing is written."""

from __future__ import annotations

from django.utils import timezone

from tickets.automation.models import ChannelSettings, Rule
from tickets.models import Channel
from tickets.rules import context as providers
from tickets.rules.apply import _spec
from tickets.rules.engine import Context, RuleResult, rules_explain


class _NoTicket:
    """What a business-hours provider gets in a dry run: no ticket yet."""

    pk = None
    team_id = None
    channel_id = None
    priority = "normal"


def rules_dry_run(
    *,
    text: str,
    trigger: str,
    channel: Channel | None = None,
    customer_is_repeat: bool = False,
    customer_tags: list[str] = (),
    customer_language: str = "",
    business_hours: bool | None = None,
    priority: str = "normal",
    status: str = "new",
    tags: list[str] = (),
    rule_ids: list[int] | None = None,
) -> list[RuleResult]:
    if rule_ids:
        rules = Rule.objects.filter(pk__in=rule_ids)
    else:
        rules = Rule.objects.filter(trigger=trigger, is_active=True)
    specs = [_spec(r) for r in rules.order_by("position", "id")]
    purpose = ""
    if channel is not None:
        purpose = (
            ChannelSettings.objects.filter(channel=channel)
            .values_list("purpose", flat=True)
            .first()
            or ""
        )
    if business_hours is None:
        business_hours = providers.in_business_hours(ticket=_NoTicket(), at=timezone.now())
    ctx = Context(
        text=text,
        trigger=trigger,
        channel_id=channel.pk if channel else None,
        channel_name=channel.name if channel else "",
        channel_kind=channel.kind if channel else "",
        channel_purpose=purpose,
        customer_is_repeat=customer_is_repeat,
        customer_tags={t.lower() for t in customer_tags},
        customer_language=customer_language,
        in_business_hours=business_hours,
        priority=priority,
        status=status,
        tags={t.lower() for t in tags},
    )
    return rules_explain(specs, ctx)
