"""Shared helpers for the automation tests: a customer message through the real intake."""

import itertools

import pytest
from django.utils import timezone

from tickets.inbound import InboundMessage, SenderIdentity
from tickets.services import receive

_ids = itertools.count(1)


def say(channel, text, *, user="u1", name="Ирина", language="", at=None):
    """The customer `user` writes `text` on `channel`; returns the stored message."""
    msg = InboundMessage(
        channel_id=channel.pk,
        external_message_id=f"m-{next(_ids)}",
        sender=SenderIdentity(external_id=user, name=name, language=language),
        text=text,
        sent_at=at or timezone.now(),
    )
    return receive(msg=msg).message


@pytest.fixture(autouse=True)
def _fresh_rules_cache():
    """Tests switch rules with queryset updates (no save signal): never reuse a cached set."""
    from tickets.rules.apply import rules_cache_clear

    rules_cache_clear()
    yield
    rules_cache_clear()
