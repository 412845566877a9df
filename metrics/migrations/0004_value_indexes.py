"""PostgreSQL: indexes on the FRT value and on solved_at − created_at, so the summary reads
one value bucket of the period (the bucket holding a median or p90 rank) by a range scan
(metrics.rollup). Facts recorded before 0003 get `last_solved_at` and
`resolution_seconds` from their first solve."""

from django.db import migrations

EXPRESSIONS = {
    "metrics_ticket_frt_value": "first_response_at - first_customer_message_at",
    "metrics_ticket_resolution_value": "solved_at - created_at",
}


def forwards(apps, schema_editor):
    TicketFact = apps.get_model("metrics", "TicketFact")
    if schema_editor.connection.vendor == "postgresql":
        for name, interval in EXPRESSIONS.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON tickets_ticket "
                f"((EXTRACT(EPOCH FROM ({interval}))::double precision))"
            )
        schema_editor.execute(
            "UPDATE metrics_ticketfact f SET last_solved_at = COALESCE(f.last_solved_at, "
            "f.first_solved_at), resolution_seconds = EXTRACT(EPOCH FROM (f.first_solved_at - "
            "t.created_at))::double precision FROM tickets_ticket t WHERE t.id = f.ticket_id "
            "AND f.first_solved_at IS NOT NULL AND f.resolution_seconds IS NULL"
        )
        return
    facts = TicketFact.objects.filter(
        first_solved_at__isnull=False, resolution_seconds__isnull=True
    ).select_related("ticket")
    for fact in facts.iterator():
        fact.last_solved_at = fact.last_solved_at or fact.first_solved_at
        fact.resolution_seconds = (fact.first_solved_at - fact.ticket.created_at).total_seconds()
        fact.save(update_fields=["last_solved_at", "resolution_seconds"])


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in EXPRESSIONS:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0003_rollups")]

    operations = [migrations.RunPython(forwards, backwards)]
