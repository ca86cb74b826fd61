"""Bulk upsert by business identifier: one SELECT to see what exists and what differs, then one
INSERT … ON CONFLICT DO UPDATE for the new and the changed rows. Unchanged rows are not written, so
re-importing the same files changes nothing (and is fast)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prescriptions.fhir.registry import Counts

# Below SQLite's and PostgreSQL's parameter limits with room for many columns per row.
SLICE = 1000


def slices(items: list, size: int = SLICE) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lookup(model, key_field: str, keys: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in slices(sorted(set(keys))):
        found.update(model.objects.filter(**{f"{key_field}__in": part}).values_list(key_field, "pk"))
    return found


def existing_rows(model, key_field: str, keys: list[str], columns: list[str]) -> dict[str, dict]:
    rows: dict[str, dict] = {}
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
        to_write.append(model(**{key_field: key, **values}))
    if to_write:
        # update_fields leaves columns we do not import (e.g. Prescription.public_id) as they are.
        written = model.objects.bulk_create(
            to_write,
            update_conflicts=True,
            unique_fields=[key_field],
            update_fields=[model._meta.get_field(c).name for c in columns],
            batch_size=500,
        )
        for obj in written:
            if obj.pk is not None:
                pks[getattr(obj, key_field)] = obj.pk
        missing = [getattr(obj, key_field) for obj in written if obj.pk is None]
        if missing:  # databases that do not return ids from an upsert
            pks.update(lookup(model, key_field, missing))
    return pks, counts
