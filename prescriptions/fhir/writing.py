"""Bulk upsert by business identifier: one SELECT to see what exists and what differs, then one
INSERT … ON CONFLICT DO UPDATE for the new and the changed rows. Unchanged rows are not written, so
re-importing the same files changes nothing (and is fast)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import connection

from prescriptions.fhir.registry import Counts

# Below SQLite's and PostgreSQL's parameter limits with room for many columns per row.
SLICE = 1000


def slices(items: list, size: int = SLICE) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _names(model, key_field: str):
    quote = connection.ops.quote_name
    meta = model._meta
    return quote(meta.db_table), quote(meta.get_field(key_field).column), quote(meta.pk.column)


def lookup(model, key_field: str, keys: Iterable[str]) -> dict[str, int]:
    keys = sorted({k for k in keys if k is not None})
    if not keys:
        return {}
    if _postgresql():
        # One array parameter instead of thousands of placeholders, which psycopg would parse.
        table, key, pk = _names(model, key_field)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {key}, {pk} FROM {table} WHERE {key} = ANY(%s)", [keys])
            return dict(cursor.fetchall())
    found: dict[str, int] = {}
    for part in slices(keys):
        found.update(model.objects.filter(**{f"{key_field}__in": part}).values_list(key_field, "pk"))
    return found


def existing_rows(model, key_field: str, keys: list[str], columns: list[str]) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    if _postgresql():
        table, key, pk = _names(model, key_field)
        quote = connection.ops.quote_name
        selected = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
        names = ["pk", key_field, *columns]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {key}{', ' if columns else ''}{selected} FROM {table} WHERE {key} = ANY(%s)", [keys]
            )
            for values in cursor.fetchall():
                rows[values[1]] = dict(zip(names, values, strict=True))
        return rows
    for part in slices(keys):
        for row in model.objects.filter(**{f"{key_field}__in": part}).values("pk", key_field, *columns):
            rows[row[key_field]] = row
    return rows


def upsert(model, key_field: str, rows: dict[str, dict]) -> tuple[dict[str, int], Counts]:
    """rows: {key: {column attname: value}}, every row with the same columns."""
    counts = Counts()
    if not rows:
        return {}, counts
    columns = sorted(next(iter(rows.values())))
    keys = sorted(rows)
    existing = existing_rows(model, key_field, keys, columns)
    pks = {key: row["pk"] for key, row in existing.items()}
    to_write = []
    for key in keys:
        values = rows[key]
        old = existing.get(key)
        if old is None:
            counts.created += 1
        elif all(old[c] == values[c] for c in columns):
            counts.unchanged += 1
            continue
        else:
            counts.updated += 1
        to_write.append((key, values, old is None))
    if to_write:
        pks.update(_insert_or_update(model, key_field, columns, to_write))
    return pks, counts


def _insert_or_update(model, key_field: str, columns: list[str], rows) -> dict[str, int]:
    """INSERT … ON CONFLICT (key) DO UPDATE … RETURNING key, pk. Written by hand rather than with
    bulk_create(update_conflicts=…): building a model instance per row and compiling the ORM's
    INSERT was most of the import's database-side CPU time. On PostgreSQL the rows travel as one
    array per column (unnest), so the statement stays short; on SQLite (≥ 3.35) as VALUES rows, with
    each value prepared by its field (SQLite stores dates, times and decimals as text)."""
    meta = model._meta
    quote = connection.ops.quote_name
    # Columns the import does not set (e.g. Prescription.public_id) get their defaults on insert only.
    defaulted = [
        f for f in meta.concrete_fields
        if not f.primary_key and f.attname != key_field and f.attname not in columns and f.has_default()
    ]
    fields = [meta.get_field(key_field), *(meta.get_field(c) for c in columns), *defaulted]
    key_column = quote(meta.get_field(key_field).column)
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    tail = (
        f" ON CONFLICT ({key_column}) DO UPDATE SET "
        + ", ".join(f"{quote(meta.get_field(c).column)} = EXCLUDED.{quote(meta.get_field(c).column)}" for c in columns)
        + f" RETURNING {key_column}, {quote(meta.pk.column)}"
    )

    def values(key, row):
        return [key, *(row[c] for c in columns), *(f.get_default() for f in defaulted)]

    pks: dict[str, int] = {}
    with connection.cursor() as cursor:
        if _postgresql():
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
            for part in slices(rows, 5000):
                table = list(zip(*(values(key, row) for key, row, _ in part), strict=True))
                cursor.execute(head + f"SELECT * FROM unnest({arrays})" + tail, [list(column) for column in table])
                pks.update(cursor.fetchall())
            return pks
        placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
        batch = max(1, min(500, 30000 // len(fields)))  # under SQLite's 32766 parameters
        for part in slices(rows, batch):
            params = []
            for key, row, _ in part:
                params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, values(key, row), strict=True))
            cursor.execute(head + "VALUES " + ", ".join([placeholders] * len(part)) + tail, params)
            pks.update(cursor.fetchall())
    return pks
