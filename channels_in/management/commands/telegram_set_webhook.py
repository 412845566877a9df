"""Point a Telegram bot at this help desk: setWebhook with our URL and the channel's secret."""

from django.core.management.base import BaseCommand, CommandError

from channels_in.adapters.telegram.api import BotApi, BotApiError
from channels_in.services import channel_webhook_url
from tickets.models import Channel

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


class Command(BaseCommand):
    help = "Register this help desk's webhook URL (with the channel's secret) with Telegram."

    def add_arguments(self, parser):
        parser.add_argument("channel_id", type=int)
        parser.add_argument(
            "--drop-pending-updates",
            action="store_true",
            help="discard updates Telegram queued while no webhook was set",
        )

    def handle(self, *args, channel_id: int, drop_pending_updates: bool = False, **options):
        channel = Channel.objects.filter(pk=channel_id, kind="telegram").first()
        if channel is None:
            raise CommandError(f"No Telegram channel with id {channel_id}.")
        url = channel_webhook_url(channel)
        if not url.startswith("https://"):
            self.stderr.write(f"Warning: Telegram only delivers to https URLs; {url} is not.")
        try:
            BotApi(channel).call(
                "setWebhook",
                json={
                    "url": url,
                    "secret_token": channel.secret,
                    "allowed_updates": ALLOWED_UPDATES,
                    "drop_pending_updates": drop_pending_updates,
                },
            )
        except BotApiError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Telegram webhook set to {url}")
