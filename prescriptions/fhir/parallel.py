"""Reading big NDJSON files in worker processes.

Validation with fhir.resources is most of an import's CPU time, and it is pure: a worker turns a
chunk of raw lines into Reads (records or problems) without a database. This process keeps reading
the file, resolving references and writing, in file order. At most a few chunks are in flight, so
memory stays flat however big the file is.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from prescriptions.fhir.records import Read
from prescriptions.fhir.sources import Unit

logger = logging.getLogger(__name__)

IN_FLIGHT_PER_WORKER = 3


def _start_worker() -> None:
    # Forked workers inherit the ready app registry (and the handlers other apps registered);
    # spawned ones (platforms without fork) set Django up themselves.
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()


def _read(unit: Unit) -> list[Read]:
    from prescriptions.fhir.importer import read_unit

    return read_unit(unit)


def read_in_workers(units: Iterable[Unit], workers: int) -> Iterator[tuple[Unit, list[Read]]]:
    from prescriptions.fhir.importer import read_unit

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker) as pool:
        pending: deque = deque()

        def oldest():
            unit, future = pending.popleft()
            try:
                return unit, future.result()
            except Exception as error:  # a worker died: read this chunk here instead
                logger.warning("FHIR import: reader process failed", extra={"error": type(error).__name__})
                return unit, read_unit(unit)

        for unit in units:
            pending.append((unit, pool.submit(_read, unit)))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield oldest()
        while pending:
            yield oldest()
