"""Which business identifier each imported resource id stands for, for the rest of the run.

NDJSON exports reference across files ("Patient/123" in MedicationRequest.ndjson). The map from
literal reference to business identifier grows with the input, so it lives in a temporary SQLite
file with a small page cache, not in a dict: memory stays flat however big the import is. It is
separate from the main database, so it works the same on SQLite and PostgreSQL and never touches
the unit's transaction.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile


class RunIndex:
    def __init__(self):
        handle, self._path = tempfile.mkstemp(prefix="import-fhir-", suffix=".sqlite3")
        os.close(handle)
        self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA cache_size=-4096")  # KiB: a bounded cache, whatever the input size
        self._db.execute("CREATE TABLE refs (ref TEXT PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL) WITHOUT ROWID")

    def add(self, entries: list[tuple[str, str, str]]) -> None:
        """(literal reference or fullUrl, resource type, business identifier)."""
        if entries:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO refs VALUES (?, ?, ?)", entries)
            self._db.execute("COMMIT")

    def get(self, ref: str) -> tuple[str, str] | None:
        return self._db.execute("SELECT type, key FROM refs WHERE ref = ?", (ref,)).fetchone()

    def close(self) -> None:
        self._db.close()
        try:
            os.unlink(self._path)
        except OSError:
            pass
