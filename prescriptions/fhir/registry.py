"""Which resource types the importer understands, and who writes them.

Handlers register here. The built-in ones (prescriptions.fhir.handlers) cover the prescriptions
domain; other apps add theirs from their AppConfig.ready(). This is how `RelatedPerson` →
ParentalResponsibility gets in without prescriptions importing proxies: proxies registers its
handler (proxies/fhir.py), prescriptions only knows the interface below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from prescriptions.fhir.records import Record


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Handler:
    """Reads one FHIR resource type into records and writes them.

    - `read` is pure (no database), so it can run in worker processes: it turns a validated R4B
      model into Records or raises records.Invalid;
    - `lookup` returns {business identifier: pk} of rows already in the database;
    - `check` may add problems that need other records or the database (the importer calls it after
      references are resolved, before anything is written);
    - `write` upserts and returns ({key: pk}, Counts). It runs inside the unit's transaction.
    """

    resource_type: str = ""
    order: int = 100  # writes go in ascending order, so targets exist before their referrers

    def read(self, resource, where: str) -> list[Record]:
        raise NotImplementedError

    def lookup(self, keys: Iterable[str]) -> dict[str, int]:
        return {}

    def check(self, records: list[Record], context) -> dict[int, list[tuple[str, str]]]:
        """Problems per id(record); empty when all is well."""
        return {}

    def write(self, records: list[Record], context) -> tuple[dict[str, int], Counts]:
        raise NotImplementedError


_handlers: dict[str, Handler] = {}


def register(handler: Handler) -> None:
    _handlers[handler.resource_type] = handler


def handler_for(resource_type: str) -> Handler | None:
    _load_builtins()
    return _handlers.get(resource_type)


def all_handlers() -> list[Handler]:
    _load_builtins()
    return sorted(_handlers.values(), key=lambda h: h.order)


def _load_builtins() -> None:
    # Imported on first use: handlers import the models, which must wait for the app registry.
    from prescriptions.fhir import handlers  # noqa: F401
