"""Indexes for the queue's search (`q`) and its filters at a million tickets.

Filters: `ticket_active_channel` serves the queue filtered by channel, status and priority
over the open work (the page's count is read from the index alone).

Search: the queue's `q` looks for a case-insensitive substring (`icontains`, which PostgreSQL
runs as `UPPER(column) LIKE UPPER('%word%')`) in ticket subjects, customer names and emails
and message texts. Trigram GIN indexes over `UPPER(column)` answer that without reading
every row. They need the pg_trgm extension: `CREATE EXTENSION` needs a superuser (or a
database owner on PostgreSQL 13+ since pg_trgm is a trusted extension); where the migration
runs as a user without that right, create it beforehand once:
`CREATE EXTENSION IF NOT EXISTS pg_trgm;`.

The trigram indexes are built CONCURRENTLY (the migration is not atomic), so writes to
messages and tickets go on while they are built (minutes at 3 million messages). SQLite has
no trigram indexes: there the search part of this migration does nothing.
"""

from django.db import migrations, models

# (index name, table, column)
TRIGRAM_INDEXES = [
    ("message_text_trgm", "tickets_message", "text"),
    ("ticket_subject_trgm", "tickets_ticket", "subject"),
    ("customer_name_trgm", "tickets_customer", "name"),
    ("customer_email_trgm", "tickets_customer", "email"),
]


def _postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def trigram_indexes_create(apps, schema_editor):
    if not _postgres(schema_editor):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in TRIGRAM_INDEXES:
            # A concurrent build that failed leaves an invalid index behind: build it again.
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s",
                [name],
            )
            found = cursor.fetchone()
            if found and found[0]:
                continue
            if found:
                cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
            cursor.execute(
                f'CREATE INDEX CONCURRENTLY "{name}" ON "{table}" '
                f'USING gin (UPPER("{column}") gin_trgm_ops)'
            )


def trigram_indexes_drop(apps, schema_editor):
    if not _postgres(schema_editor):
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _table, _column in TRIGRAM_INDEXES:
            cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
    # The extension stays: other databases objects may use it, and dropping it needs rights.


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tickets", "0007_shared_fields_crm_import_access"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "open", "pending", "on_hold"])),
                fields=["channel", "status", "priority"],
                name="ticket_active_channel",
            ),
        ),
        migrations.RunPython(trigram_indexes_create, trigram_indexes_drop, elidable=False),
    ]
