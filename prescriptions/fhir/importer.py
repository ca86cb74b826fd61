"""The import engine: read → resolve references → check → write, one unit at a time.

A unit is a Bundle or a single-resource file (atomic: one problem and nothing of it is written) or a
chunk of NDJSON lines (each line stands alone: bad lines are reported, the others are written, and
so are the resources they depend on). Everything that can be checked is checked before the unit's
transaction opens, so a write only fails if the database itself refuses.

Reading (`read_unit`) is pure and needs no database, so big NDJSON files are read by worker
processes while this process resolves and writes (`parallel.py`).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import DatabaseError, transaction
from django.utils import timezone

from prescriptions.fhir import parsing, sources
from prescriptions.fhir.records import Invalid, Issue, Read, Record, Ref, Skip, a, scrub
from prescriptions.fhir.registry import Counts, all_handlers, handler_for
from prescriptions.fhir.runindex import RunIndex
from prescriptions.identity import mask

logger = logging.getLogger(__name__)

_TYPE_AND_ID = re.compile(r"(?:^|/)([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
UNREADABLE = "(unreadable)"
# Worker processes pay off only for big files: starting them costs more than reading a small one.
PARALLEL_FROM_BYTES = 2_000_000


# --- reading: pure, no database ---------------------------------------------------------------------


def _shown_id(value) -> str:
    if not isinstance(value, str):
        return ""
    return mask(value) if re.fullmatch(r"[0-9]{11}", value) else value[:64]


def read_item(item: sources.Item) -> Read:
    if item.problem:
        return Read(where=item.where, resource_type=UNREADABLE, problems=[("", item.problem)])
    data = item.data
    resource_type = data.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        return Read(where=item.where, resource_type=UNREADABLE, problems=[("resourceType", "is required")])
    shown = _shown_id(data.get("id"))
    where = f"{item.where} {resource_type}/{shown}" if shown else f"{item.where} {resource_type}"
    handler = handler_for(resource_type)
    if handler is None:
        if parsing.model_class(resource_type) is None:
            reason = f"'{resource_type}' is not a FHIR resource type: skipped"
        else:
            reason = f"{resource_type} is not imported by this service: skipped"
        return Read(where=where, resource_type=resource_type, skipped=reason)
    read = Read(where=where, resource_type=resource_type)
    try:
        model = parsing.validate(resource_type, data)
        read.records = handler.read(model, where)
    except Invalid as invalid:
        read.problems = invalid.problems
    except Skip as skip:
        read.skipped = str(skip)
    if read.records:
        read.records[-1].full_url = item.full_url  # the resource itself comes last, after inline ones
        for record in read.records:
            read.warnings.extend(record.warnings)
    return read


def read_unit(unit: sources.Unit) -> list[Read]:
    items = unit.items or [sources.decode_line(unit.name, number, raw) for number, raw in unit.lines]
    return [read_item(item) for item in items]


# --- writing ------------------------------------------------------------------------------------------


class WriteContext:
    """What handlers see while checking and writing one unit: primary keys by business identifier,
    and the unit's own records."""

    def __init__(self, by_key: dict[tuple[str, str], Record]):
        self._pks: dict[str, dict[str, int]] = defaultdict(dict)
        self._by_key = by_key
        self.today = timezone.localdate()

    def pk(self, resource_type: str, key: str) -> int:
        return self._pks[resource_type][key]

    def has(self, resource_type: str, key: str) -> bool:
        return key in self._pks[resource_type]

    def load(self, resource_type: str, keys: Iterable[str]) -> None:
        missing = {k for k in keys if k is not None and k not in self._pks[resource_type]}
        if missing:
            self._pks[resource_type].update(handler_for(resource_type).lookup(missing))

    def remember(self, resource_type: str, pks: dict[str, int]) -> None:
        self._pks[resource_type].update(pks)

    def unit_record(self, resource_type: str, key: str | None) -> Record | None:
        return self._by_key.get((resource_type, key))


class Importer:
    """Imports files, folders or decoded JSON. `report(issue)` receives every error and warning as it
    happens; `counts` holds the per-type summary. Use as a context manager (it owns a temp file)."""

    def __init__(
        self,
        *,
        report: Callable[[Issue], None] | None = None,
        progress: Callable[[int, int], None] | None = None,
        chunk_size: int = 1000,
        workers: int = 0,
    ):
        self.report = report or (lambda issue: None)
        self.progress = progress
        self.chunk_size = chunk_size
        self.workers = workers
        self.counts: dict[str, Counts] = defaultdict(Counts)
        self.errors = 0
        self.warnings = 0
        self.index = RunIndex()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.index.close()

    @property
    def ok(self) -> bool:
        return self.errors == 0

    # -- entry points

    def import_paths(self, paths: list[str]) -> bool:
        ranks = {h.resource_type: h.order for h in all_handlers()}
        found, problems = sources.collect(paths, ranks)
        for issue in problems:
            self._issue(issue)
        total = sum(s.size for s in found)
        done = 0
        for source in found:
            for unit, reads in self._read(source):
                self.import_unit(unit, reads)
                if self.progress:
                    self.progress(done + unit.position, total)
            done += source.size
        return self.ok

    def import_data(self, data, name: str = "bundle") -> bool:
        """A decoded Bundle or resource (the demo and tests use this)."""
        self.import_unit(sources.unit_for(data, name))
        return self.ok

    def _read(self, source: sources.Source):
        if self.workers > 1 and source.ndjson and source.size >= PARALLEL_FROM_BYTES:
            from prescriptions.fhir.parallel import read_in_workers

            yield from read_in_workers(sources.units(source, self.chunk_size), self.workers)
        else:
            for unit in sources.units(source, self.chunk_size):
                yield unit, None

    # -- one unit

    def import_unit(self, unit: sources.Unit, reads: list[Read] | None = None) -> None:
        for issue in unit.problems:
            self._issue(issue)
        if any(issue.level == "error" for issue in unit.problems):
            return
        if reads is None:
            reads = read_unit(unit)
        failed: dict[int, list[tuple[str, str]]] = {}
        for index, read in enumerate(reads):
            if read.skipped:
                self._issue(Issue("warning", read.where, "", read.skipped))
                self.counts[read.resource_type].skipped += 1
            for path, message in read.warnings:
                self._issue(Issue("warning", read.where, path, message))
            if read.failed:
                failed[index] = list(read.problems)
        owner: dict[int, int] = {}  # id(record) → index of its read
        records: list[Record] = []
        for index, read in enumerate(reads):
            if index not in failed:
                for record in read.records:
                    owner[id(record)] = index
                    records.append(record)
        if not (unit.atomic and failed):
            context = self._resolve_and_check(unit, reads, records, owner, failed)
        if failed:
            for index in sorted(failed):
                for path, message in failed[index]:
                    self._issue(Issue("error", reads[index].where, path, message))
            if unit.atomic:
                self._abandon(unit, reads, f"nothing from this {unit.noun} was imported")
                return
            for index in failed:
                self.counts[reads[index].resource_type].failed += 1
        good = [r for r in records if owner[id(r)] not in failed]
        if good:
            self._write(unit, reads, good, context, failed)

    def _resolve_and_check(self, unit, reads, records, owner, failed) -> WriteContext:
        by_ref: dict[str, Record] = {}
        by_key: dict[tuple[str, str], Record] = {}
        for record in records:
            if record.literal:
                by_ref[record.literal] = record
            if record.full_url:
                by_ref[record.full_url] = record
            present = by_key.get((record.type, record.key))
            if present is None or present.action == "ensure" or record.action != "ensure":
                by_key[(record.type, record.key)] = record
        context = WriteContext(by_key)

        def fail(record: Record, path: str, message: str) -> None:
            failed.setdefault(owner[id(record)], []).append((path, message))

        # References: in this unit, else earlier in this run, else by business identifier in the database.
        outside: dict[str, set[str]] = defaultdict(set)
        depends: dict[int, list[tuple[int, Ref]]] = defaultdict(list)
        for record in records:
            for ref in record.refs.values():
                target = self._resolve(ref, by_ref, by_key, unit.noun)
                if isinstance(target, str):
                    fail(record, ref.path, target)
                elif target is None:
                    outside[ref.target].add(ref.resolved)
                elif owner[id(target)] != owner[id(record)] and target.action != "ensure":
                    # (An "ensure" record is read inline by each resource that uses it: no dependency.)
                    depends[owner[id(record)]].append((owner[id(target)], ref))
        for resource_type, keys in outside.items():
            context.load(resource_type, keys)
        for record in records:
            for ref in record.refs.values():
                if ref.resolved is not None and context.unit_record(ref.target, ref.resolved) is None \
                        and not context.has(ref.target, ref.resolved):
                    what = scrub(ref.literal) if ref.literal else f"the {ref.target} with this identifier"
                    fail(record, ref.path, f"{what} is neither in this {unit.noun} nor in the database")
        # A resource whose target in this unit failed cannot be written either (targets come first).
        order = {h.resource_type: h.order for h in all_handlers()}
        indices = sorted({owner[id(r)] for r in records}, key=lambda i: order.get(reads[i].resource_type, 999))
        for index in indices:
            if index in failed:
                continue
            broken = [ref for target, ref in depends[index] if target in failed]
            if broken:
                failed[index] = [
                    (ref.path, f"{scrub(ref.literal or 'its ' + ref.target)} was not imported (see its error)")
                    for ref in broken
                ]
        for handler in all_handlers():
            mine = [r for r in records if r.type == handler.resource_type and owner[id(r)] not in failed]
            if mine:
                for record_id, problems in handler.check(mine, context).items():
                    failed.setdefault(owner[record_id], []).extend(problems)
        return context

    def _resolve(self, ref: Ref, by_ref, by_key, noun: str):
        """The target record in this unit, None if it is outside (ref.resolved set), or an error."""
        if ref.literal:
            short = _TYPE_AND_ID.search(ref.literal)
            record = by_ref.get(ref.literal) or (by_ref.get(short.group(1)) if short else None)
            if record is not None:
                if record.type != ref.target:
                    return f"{scrub(ref.literal)} is {a(record.type)}, not {a(ref.target)}"
                ref.resolved = record.key
                return by_key.get((record.type, record.key), record)
            known = self.index.get(ref.literal) or (self.index.get(short.group(1)) if short else None)
            if known is not None:
                if known[0] != ref.target:
                    return f"{scrub(ref.literal)} is {a(known[0])}, not {a(ref.target)}"
                ref.resolved = known[1]
                return None
            if ref.key is None:
                return (
                    f"{scrub(ref.literal)} is neither in this {noun} nor in an earlier file of this import "
                    f"(refer to {a(ref.target)} already in the database by Reference.identifier)"
                )
        record = by_key.get((ref.target, ref.key))
        ref.resolved = ref.key
        return record

    def _write(self, unit, reads, good: list[Record], context: WriteContext, failed) -> None:
        counts: dict[str, Counts] = defaultdict(Counts)
        try:
            with transaction.atomic():
                for handler in all_handlers():
                    mine = [r for r in good if r.type == handler.resource_type]
                    if mine:
                        pks, written = handler.write(mine, context)
                        context.remember(handler.resource_type, pks)
                        counts[handler.resource_type].add(written)
        except DatabaseError as error:
            # Database messages may quote values (identity numbers): name the kind of error only.
            logger.warning("FHIR import: the database refused a unit", extra={"error": type(error).__name__})
            constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
            reason = type(error).__name__ + (f", constraint {constraint}" if constraint else "")
            self._abandon(unit, reads, f"the database refused the write ({reason}); nothing from this "
                                       f"{'bundle' if unit.atomic else 'chunk of lines'} was imported", skip=failed)
            return
        for resource_type, written in counts.items():
            self.counts[resource_type].add(written)
        entries = []
        for record in good:
            for ref in (record.literal, record.full_url):
                if ref:
                    entries.append((ref, record.type, record.key))
        self.index.add(entries)

    def _abandon(self, unit, reads, message: str, skip=()) -> None:
        self._issue(Issue("error", unit.name, "", message))
        for index, read in enumerate(reads):
            if not read.skipped and index not in skip:
                self.counts[read.resource_type].failed += 1

    def _issue(self, issue: Issue) -> None:
        if issue.level == "error":
            self.errors += 1
        else:
            self.warnings += 1
        self.report(issue)
