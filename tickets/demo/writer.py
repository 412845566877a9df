"""Fast row writing for the demo seeder: reserved ids, then COPY (PostgreSQL) or executemany.

Rows are plain tuples in the order of the given columns (attnames). Columns the caller does
not give are filled with the model field's default, so a new field with a default does not
break the seeder. Timestamps are given as epoch seconds and converted here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.db import connection, models


def _sqlite_datetime(value: float | None) -> str | None:
    """Django keeps naive UTC text on SQLite: "YYYY-MM-DD HH:MM:SS[.ffffff]"."""
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None).isoformat(" ")


class Writer:
    def __init__(self, conn=connection):
        self.conn = conn
        self.postgres = conn.vendor == "postgresql"
        self.rows_written = 0

    # ids ------------------------------------------------------------------------------------
    def reserve_ids(self, model: type[models.Model], count: int) -> list[int]:
        """`count` fresh primary keys for `model`; call inside the transaction that inserts."""
        if count <= 0:
            return []
        table = model._meta.db_table
        pk = model._meta.pk.column
        with self.conn.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, pk, count],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so max() is ours.
            qn = self.conn.ops.quote_name
            cursor.execute(f"SELECT MAX({qn(pk)}) FROM {qn(table)}")  # noqa: S608
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
        return list(range(top + 1, top + 1 + count))

    # conversion -----------------------------------------------------------------------------
    def _converter(self, field: models.Field):
        if isinstance(field, models.DateTimeField):
            if self.postgres:
                return lambda v: None if v is None else datetime.fromtimestamp(v, UTC)
            return _sqlite_datetime
        if isinstance(field, models.JSONField):
            return lambda v: json.dumps(v, ensure_ascii=False)
        return None

    def insert(
        self,
        model: type[models.Model],
        columns: list[str],
        rows: list[tuple],
        *,
        encoded: tuple[str, ...] = (),
    ) -> None:
        """Insert `rows`; columns named in `encoded` already hold database-ready values."""
        if not rows:
            return
        meta = model._meta
        by_attname = {f.attname: f for f in meta.local_concrete_fields}
        fields = [by_attname[c] for c in columns]
        converters = [
            (i, conv)
            for i, f in enumerate(fields)
            if f.attname not in encoded and (conv := self._converter(f))
        ]
        extra_fields, extra_values = [], []
        for f in meta.local_concrete_fields:
            if f.attname in columns or f.primary_key:
                continue
            extra_fields.append(f)
            extra_values.append(f.get_db_prep_save(f.get_default(), self.conn))
        extra = tuple(extra_values)

        def prepared():
            for row in rows:
                if converters:
                    row = list(row)
                    for i, conv in converters:
                        row[i] = conv(row[i])
                    yield (*row, *extra)
                else:
                    yield (*row, *extra)

        qn = self.conn.ops.quote_name
        names = ", ".join(qn(f.column) for f in fields + extra_fields)
        table = qn(meta.db_table)
        with self.conn.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in prepared():
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * (len(fields) + len(extra_fields)))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", prepared())  # noqa: S608
        self.rows_written += len(rows)
