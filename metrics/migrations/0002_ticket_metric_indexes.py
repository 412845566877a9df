"""Indexes the metrics read on tickets (owned by `tickets`, so created here with raw SQL that
both PostgreSQL and SQLite accept; the model state is untouched).

- solved_at: resolution, FCR, one-touch, reopen and bot containment select tickets solved
  in the period.
- (customer_id, created_at): the FCR "came back within N days" probe per solved ticket.
"""

from django.db import migrations

INDEXES = [
    ("metrics_ticket_solved_at", "tickets_ticket (solved_at)"),
    ("metrics_ticket_customer_created", "tickets_ticket (customer_id, created_at)"),
]


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial"), ("tickets", "0003_workspace_fields")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES
    ]
