"""Channel kind -> adapter. A new channel is one adapter module and one line here."""

from channels_in.adapters.base import ChannelAdapter
from channels_in.adapters.email import EmailAdapter
from channels_in.adapters.generic import GenericAdapter
from channels_in.adapters.telegram import TelegramAdapter
from channels_in.adapters.webchat import WebchatAdapter
from channels_in.adapters.whatsapp import WhatsAppAdapter

ADAPTERS: dict[str, ChannelAdapter] = {
    GenericAdapter.kind: GenericAdapter(),
    EmailAdapter.kind: EmailAdapter(),
    TelegramAdapter.kind: TelegramAdapter(),
    WhatsAppAdapter.kind: WhatsAppAdapter(),
    WebchatAdapter.kind: WebchatAdapter(),
}


def adapter_for(kind: str) -> ChannelAdapter | None:
    return ADAPTERS.get(kind)
