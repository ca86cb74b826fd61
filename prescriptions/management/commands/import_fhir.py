"""manage.py import_fhir PATH [PATH ...]: FHIR R4 Bundles, single resources and NDJSON, or folders
of them. The profile it reads is docs/fhir-profile.md. Exit status 1 if anything failed."""

import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from prescriptions.fhir.importer import UNREADABLE, Importer
from prescriptions.fhir.registry import all_handlers

COLUMNS = ("created", "updated", "unchanged", "deleted", "failed", "skipped")


class Progress:
    """A one-line progress bar on stderr, only on an interactive terminal. Messages printed while it
    shows clear the line first, so the bar never garbles them."""

    def __init__(self, stream, enabled: bool):
        self.stream = stream
        self.enabled = enabled
        self.shown = False
        self.last = 0.0
        self.started = time.monotonic()

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        share = done / total if total else 1.0
        width = 30
        filled = int(width * share)
        elapsed = now - self.started
        rate = f"{done / elapsed / 1e6:.1f} MB/s" if elapsed > 0 else ""
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {share:6.1%} {rate}\033[K")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


class Command(BaseCommand):
    help = (
        "Import FHIR R4 JSON (a Bundle of type collection, transaction, batch or searchset, or one resource) "
        "and NDJSON files, or folders of them. Upserts by business identifier; each Bundle is all or nothing. "
        "See docs/fhir-profile.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files (.json, .ndjson, .jsonl) or folders")
        parser.add_argument("--chunk-size", type=int, default=1000, help="NDJSON lines per transaction (default 1000)")
        parser.add_argument(
            "--workers", type=int, default=min(os.cpu_count() or 1, 4),
            help="processes that read big NDJSON files in parallel (default: CPUs, at most 4; 1 = none)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")

    def handle(self, *args, **options):
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        err = self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr
        progress = Progress(err, enabled=not options["no_progress"] and err.isatty())

        def report(issue):
            progress.clear()
            if issue.level == "error":
                self.stderr.write(f"error: {issue}")
            else:
                self.stderr.write(self.style.WARNING(f"warning: {issue}"))

        started = time.monotonic()
        with Importer(report=report, progress=progress.update, chunk_size=options["chunk_size"],
                      workers=options["workers"]) as importer:
            importer.import_paths(options["paths"])
        progress.clear()
        elapsed = time.monotonic() - started
        self._summary(importer, elapsed)
        if not importer.ok:
            # CommandError: exit status 1 and this one line, no traceback.
            raise CommandError(f"{importer.errors} error(s): see the messages above.")

    def _summary(self, importer, elapsed: float) -> None:
        order = {h.resource_type: h.order for h in all_handlers()}
        rows = sorted(importer.counts.items(), key=lambda item: (order.get(item[0], 1000), item[0] == UNREADABLE, item[0]))
        width = max([len("resource type"), *(len(name) for name, _ in rows)])
        self.stdout.write(f"{'resource type':<{width}}  " + "  ".join(f"{c:>9}" for c in COLUMNS))
        total = 0
        for name, counts in rows:
            values = counts.as_dict()
            total += sum(values[c] for c in ("created", "updated", "unchanged", "deleted"))
            self.stdout.write(f"{name:<{width}}  " + "  ".join(f"{values[c]:>9}" for c in COLUMNS))
        rate = f", {total / elapsed:,.0f} resources/s" if elapsed > 0 and total else ""
        line = (
            f"{total} resources imported in {elapsed:.1f} s{rate}; "
            f"{importer.errors} error(s), {importer.warnings} warning(s)."
        )
        self.stdout.write(self.style.SUCCESS(line) if importer.ok else self.style.ERROR(line))
