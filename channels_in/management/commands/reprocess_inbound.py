from django.core.management.base import BaseCommand

from channels_in.models import EventStatus, InboundEvent
from channels_in.services import inbound_event_process


class Command(BaseCommand):
    help = "Process failed (or still unprocessed) inbound journal rows again."

    def add_arguments(self, parser):
        parser.add_argument("--channel", type=int, help="only this channel id")
        parser.add_argument("--ids", type=int, nargs="*", help="only these event ids")
        parser.add_argument(
            "--include-received", action="store_true", help="also rows never processed"
        )

    def handle(self, *args, channel=None, ids=None, include_received=False, **options):
        statuses = [EventStatus.FAILED] + ([EventStatus.RECEIVED] if include_received else [])
        rows = InboundEvent.objects.filter(status__in=statuses)
        if channel:
            rows = rows.filter(channel_id=channel)
        if ids:
            rows = rows.filter(pk__in=ids)
        counts: dict[str, int] = {}
        for event_id in rows.order_by("pk").values_list("pk", flat=True).iterator():
            status = inbound_event_process(event_id=event_id).status
            counts[status] = counts.get(status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to do"
        self.stdout.write(summary)
