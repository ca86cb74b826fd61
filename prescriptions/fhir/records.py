"""What reading a FHIR resource produces: plain, picklable records that name their references
instead of holding database rows, so reading needs no database and can run anywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Eleven digits in a row look like an identity number: masked in every message (ids and references
# of other systems sometimes are the number).
_ELEVEN_DIGITS = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{5}(?![0-9])")


def a(noun: str) -> str:
    """"a Patient", "an Organization"."""
    return f"an {noun}" if noun[:1] in "AEIOU" else f"a {noun}"


def scrub(text: str) -> str:
    return _ELEVEN_DIGITS.sub(r"\1 *****", text)


class Invalid(Exception):
    """A resource that cannot be imported: one or more (field path, message) problems."""

    def __init__(self, *problems: tuple[str, str]):
        super().__init__(problems)
        self.problems = list(problems)


class Skip(Exception):
    """A resource this service does not import (e.g. an Organization that is not a pharmacy): a
    warning, not an error."""


class Problems:
    """Collects every problem of one resource, so the operator sees them all at once."""

    def __init__(self):
        self.items: list[tuple[str, str]] = []

    def attempt(self, fn, *args, default=None, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Invalid as invalid:
            self.items.extend(invalid.problems)
            return default

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise Invalid(*self.items)


@dataclass(frozen=True)
class Issue:
    """One message for the operator: `where` names the file, entry and resource."""

    level: str  # "error" | "warning"
    where: str
    path: str
    message: str

    def __str__(self) -> str:
        text = f"{self.where}: {self.path} {self.message}" if self.path else f"{self.where}: {self.message}"
        return scrub(text)


@dataclass
class Ref:
    """A reference from one record to another, resolved by the importer.

    `literal` is Reference.reference ("Patient/abc", "urn:uuid:…", an absolute URL); `key` is the
    target's business identifier when the reference carried one (Reference.identifier) or when the
    target was read inline (a medicationCodeableConcept, a contained Medication)."""

    path: str  # field path for messages, e.g. "subject"
    target: str  # resource type it must point at
    literal: str | None = None
    key: str | None = None
    # Filled by the importer: the target's business identifier.
    resolved: str | None = None


@dataclass
class Record:
    type: str  # resource type of the handler that writes it
    key: str  # business identifier: upsert key
    values: dict
    where: str
    id: str | None = None
    full_url: str | None = None
    refs: dict[str, Ref] = field(default_factory=dict)
    action: str = "upsert"  # or "delete"
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # Set by a handler's check() with values derived from other records (e.g. a dispense's patient).
    derived: dict = field(default_factory=dict)

    @property
    def literal(self) -> str | None:
        return f"{self.type}/{self.id}" if self.id else None


@dataclass
class Read:
    """The outcome of reading one resource: records, or problems, or a reason it was skipped."""

    where: str
    resource_type: str
    records: list[Record] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    skipped: str | None = None  # warning text when the resource is not understood
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.problems)
