"""One-row inserts that may meet a unique constraint, without a savepoint.

`INSERT ... ON CONFLICT DO NOTHING RETURNING id` (PostgreSQL; SQLite 3.35+ has the same
syntax) inserts the row or, when a unique constraint already holds its like (a concurrent
delivery of the same message, the same identity), inserts nothing and returns no row: the
caller reads the row that is there. One round trip instead of SAVEPOINT, INSERT, RELEASE.
"""

from __future__ import annotations

from django.db import connection, models
from django.db.models.signals import post_save, pre_save


def insert_ignoring_conflict_ok(model: type[models.Model]) -> bool:
    """Whether the plain statement may stand in for `save()`: nobody listens to the model's
    save signals (the statement sends none) and the database has the syntax."""
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        return False
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and connection.features.can_return_columns_from_insert


def insert_ignoring_conflict(obj: models.Model) -> bool:
    """Insert `obj` (new, unsaved) unless a unique constraint already holds one like it.
    Returns whether it was inserted (then `obj.pk` is set, as `save()` sets it)."""
    meta = obj._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    marks = ", ".join("%s" for _ in fields)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
    sql = f"{insert} ON CONFLICT DO NOTHING RETURNING {pk}"
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return True
