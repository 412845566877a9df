"""Registry of outbound senders by channel kind.

Channel adapters register themselves here at start-up; `tickets` sends through the
registry and never imports an adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tickets.models import Message

# A sender delivers one outbound message and returns the channel's id for it (or "").
# It raises helpdesk.exceptions.DeliveryError when the channel refuses or is unreachable.
Sender = Callable[["Message"], str]
_senders: dict[str, Sender] = {}


def register(kind: str, sender: Sender) -> None:
    _senders[kind] = sender


def get(kind: str) -> Sender | None:
    return _senders.get(kind)
