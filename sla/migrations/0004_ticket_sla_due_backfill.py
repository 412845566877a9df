"""Fill Ticket.sla_due_at from the clocks that existed before the field did."""

from django.db import migrations
from django.db.models import Min


def backfill(apps, schema_editor):
    SlaClock = apps.get_model("sla", "SlaClock")
    Ticket = apps.get_model("tickets", "Ticket")
    rows = (
        SlaClock.objects.filter(status__in=["running", "breached"], stopped_at__isnull=True)
        .values("ticket_id")
        .annotate(due=Min("due_at"))
        .order_by()
    )
    for row in rows.iterator(chunk_size=2000):
        Ticket.objects.filter(pk=row["ticket_id"]).update(sla_due_at=row["due"])


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0003_warn_percent_label"),
        ("tickets", "0005_ticket_sla_due"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
