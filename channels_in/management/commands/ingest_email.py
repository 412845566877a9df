"""`manage.py ingest_email <channel_id> < message.eml`: the MTA pipe into an email channel.

The raw bytes are journalled exactly like a webhook delivery (same dedupe key: the
Message-ID), then processed. Exit status 0 when the mail is stored (or was already), 75
(EX_TEMPFAIL, the MTA retries later) when it could not be stored.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from channels_in.adapters.email import email_dedupe_key
from channels_in.models import EventStatus, InboundEvent
from channels_in.services import inbound_event_process, inbound_event_store
from helpdesk.exceptions import PayloadInvalid
from tickets.models import Channel

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one raw RFC 822 message from stdin (or --file) into an email channel."

    def add_arguments(self, parser):
        parser.add_argument("channel_id", type=int)
        parser.add_argument("--file", help="read the message from this file instead of stdin")

    def handle(self, *args, channel_id: int, file: str | None = None, **options):
        channel = Channel.objects.filter(pk=channel_id, kind="email", is_active=True).first()
        if channel is None:
            raise CommandError(f"No active email channel with id {channel_id}.")
        if file:
            with open(file, "rb") as handle:
                raw = handle.read()
        else:
            raw = sys.stdin.buffer.read()
        try:
            key = email_dedupe_key(raw)
        except PayloadInvalid as exc:
            raise CommandError(exc.message) from exc
        try:
            event, created = inbound_event_store(
                channel=channel,
                body=raw,
                headers={"Content-Type": "message/rfc822", "User-Agent": "ingest_email"},
                dedupe_key=key,
            )
        except Exception as exc:  # the database is away: let the MTA keep the mail
            self.stderr.write(f"could not store the message: {exc}")
            sys.exit(EX_TEMPFAIL)
        if (
            created
            and InboundEvent.objects.filter(pk=event.pk, status=EventStatus.RECEIVED).exists()
        ):
            event = inbound_event_process(event_id=event.pk)
        event.refresh_from_db()
        state = event.status if created else "duplicate"
        self.stdout.write(f"event {event.pk}: {state}")
