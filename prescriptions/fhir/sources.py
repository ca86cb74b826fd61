"""Turning paths into units of work: a Bundle or single-resource JSON file is one atomic unit; an
NDJSON file is read line by line and cut into chunks, so a file of any size is streamed.

Nothing here touches the database. Problems with a file as a whole (empty, not UTF-8, malformed
JSON) are reported as Issues naming the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from prescriptions.fhir import parsing
from prescriptions.fhir.records import Invalid, Issue

JSON_SUFFIXES = (".json",)
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
BUNDLE_TYPES = ("collection", "transaction", "batch", "searchset")
_RESOURCE_TYPE = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]+)"')
_BUNDLE_LINE = re.compile(rb'^\s*\{.*"resourceType"\s*:\s*"Bundle"', re.S)


@dataclass
class Item:
    where: str  # "file entry[3]", "file line 7", "file"
    data: dict | None = None
    full_url: str | None = None
    problem: str | None = None  # why there is no resource to read


@dataclass
class Unit:
    name: str  # for messages
    atomic: bool  # a Bundle or single-resource file: all or nothing
    noun: str  # "bundle" or "file", for "… is neither in this bundle nor in the database"
    items: list[Item] = field(default_factory=list)
    # NDJSON chunks carry raw lines, decoded by the reader (possibly in a worker process).
    lines: list[tuple[int, bytes]] = field(default_factory=list)
    problems: list[Issue] = field(default_factory=list)
    position: int = 0  # bytes of the file read once this unit is done


@dataclass
class Source:
    name: str
    path: Path
    ndjson: bool
    size: int
    rank: int = 0


def _rank(path: Path, ndjson: bool, ranks: dict[str, int]) -> int:
    """Import order: Bundles first (they are self-contained), then single-type files in dependency
    order (Patient.ndjson before MedicationRequest.ndjson), unknown last."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return 0
    if ndjson:
        head = next((line for line in head.splitlines() if line.strip()), b"")
    found = _RESOURCE_TYPE.findall(head)
    if not found:
        return 999
    if b"Bundle" in found:
        return 0
    return ranks.get(found[0].decode(), 999)


def collect(paths: list[str], ranks: dict[str, int]) -> tuple[list[Source], list[Issue]]:
    """The files to import, in dependency order (stable for files of the same rank)."""
    sources, problems = [], []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in JSON_SUFFIXES + NDJSON_SUFFIXES)
            if not found:
                problems.append(Issue("warning", given, "", "holds no .json, .ndjson or .jsonl files"))
            files = [(str(p), p) for p in found]
        elif path.is_file():
            files = [(given, path)]
        else:
            problems.append(Issue("error", given, "", "no such file or folder"))
            continue
        for name, file in files:
            ndjson = file.suffix.lower() in NDJSON_SUFFIXES
            sources.append(Source(name, file, ndjson, file.stat().st_size))
    for source in sources:
        source.rank = _rank(source.path, source.ndjson, ranks)
    sources.sort(key=lambda s: s.rank)
    return sources, problems


def _json_problem(error: json.JSONDecodeError, *, with_line: bool = True) -> str:
    where = f"line {error.lineno} column {error.colno}" if with_line else f"column {error.colno}"
    return f"malformed JSON at {where}: {error.msg}"


def units(source: Source, chunk_size: int = 1000) -> Iterator[Unit]:
    if source.size == 0:
        yield Unit(source.name, True, "file", problems=[Issue("error", source.name, "", "is empty (0 bytes)")])
        return
    if source.ndjson:
        yield from _ndjson_units(source, chunk_size)
    else:
        yield _json_unit(source)


def _json_unit(source: Source) -> Unit:
    def failed(message: str) -> Unit:
        return Unit(source.name, True, "file", problems=[Issue("error", source.name, "", message)], position=source.size)

    try:
        text = source.path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return failed("is not UTF-8 text")
    except OSError as error:
        return failed(f"cannot be read ({error.strerror})")
    if not text.strip():
        return failed("contains no JSON (only white space)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return failed(_json_problem(error))
    except RecursionError:
        return failed("is nested too deeply")
    unit = unit_for(data, source.name)
    unit.position = source.size
    return unit


def unit_for(data, name: str) -> Unit:
    """A decoded JSON value as a unit: a Bundle's entries, or one resource."""
    if not isinstance(data, dict):
        return Unit(name, True, "file", problems=[Issue("error", name, "", "must hold a JSON object (a Bundle or a resource)")])
    if data.get("resourceType") != "Bundle":
        return Unit(name, True, "file", items=[Item(where=name, data=data)])
    return bundle_unit(data, name)


def bundle_unit(data: dict, name: str) -> Unit:
    unit = Unit(name, True, "bundle")
    try:
        envelope = parsing.validate_bundle_envelope(data)
    except Invalid as invalid:
        unit.problems = [Issue("error", name, f"Bundle.{path}" if path else "Bundle", message)
                         for path, message in invalid.problems]
        return unit
    if envelope.type not in BUNDLE_TYPES:
        unit.problems.append(Issue(
            "error", name, "Bundle.type", f"'{envelope.type}' bundles are not imported (use {', '.join(BUNDLE_TYPES)})"
        ))
        return unit
    for index, entry in enumerate(envelope.entry or []):
        raw = data["entry"][index]
        item = Item(where=f"{name} entry[{index}]", full_url=entry.fullUrl)
        resource = raw.get("resource")
        method = entry.request.method if entry.request is not None else None
        if method not in (None, "POST", "PUT"):
            item.problem = f"request.method {method} is not supported (only POST and PUT)"
        elif not isinstance(resource, dict):
            item.problem = "has no resource"
        elif resource.get("resourceType") == "Bundle":
            item.problem = "a Bundle inside a Bundle is not imported"
        else:
            item.data = resource
        unit.items.append(item)
    if not unit.items:
        unit.problems.append(Issue("warning", name, "Bundle.entry", "is empty: nothing to import"))
    return unit


def _ndjson_units(source: Source, chunk_size: int) -> Iterator[Unit]:
    lines: list[tuple[int, bytes]] = []
    position = 0
    seen = False
    with source.path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            position += len(raw)
            if not raw.strip():
                continue
            seen = True
            if _BUNDLE_LINE.match(raw):
                # A Bundle on a line is its own atomic unit, imported in its place in the file.
                if lines:
                    yield Unit(source.name, False, "file", lines=lines, position=position - len(raw))
                    lines = []
                yield bundle_line_unit(source.name, number, raw, position)
                continue
            lines.append((number, raw))
            if len(lines) >= chunk_size:
                yield Unit(source.name, False, "file", lines=lines, position=position)
                lines = []
    if lines:
        yield Unit(source.name, False, "file", lines=lines, position=position)
    if not seen:
        yield Unit(source.name, True, "file", problems=[Issue("error", source.name, "", "contains no resources (only blank lines)")],
                   position=position)


def bundle_line_unit(name: str, number: int, raw: bytes, position: int) -> Unit:
    item = decode_line(name, number, raw)
    if item.problem:
        unit = Unit(name, True, "bundle", problems=[Issue("error", item.where, "", item.problem)])
    else:
        unit = unit_for(item.data, item.where)
    unit.position = position
    return unit


def decode_line(name: str, number: int, raw: bytes) -> Item:
    where = f"{name} line {number}"
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        return Item(where=where, problem="is not UTF-8 text")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return Item(where=where, problem=_json_problem(error, with_line=False))
    except RecursionError:
        return Item(where=where, problem="is nested too deeply")
    if not isinstance(data, dict):
        return Item(where=where, problem="must hold a JSON object (one resource per line)")
    return Item(where=where, data=data)
