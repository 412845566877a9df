"""Channel kind -> adapter. A new channel is one adapter module and one line here."""

from channels_in.adapters.base import ChannelAdapter
from channels_in.adapters.generic import GenericAdapter

ADAPTERS: dict[str, ChannelAdapter] = {
    GenericAdapter.kind: GenericAdapter(),
}


def adapter_for(kind: str) -> ChannelAdapter | None:
    return ADAPTERS.get(kind)
