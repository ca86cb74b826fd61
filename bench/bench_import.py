"""Benchmark of `import_fhir`: resources per second for a bulk-data style NDJSON export of 100 k
resources (one file per type, literal references across files) into an empty PostgreSQL database.

    make bench-import
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_import \
        .venv/bin/python -m bench.bench_import [--resources 100000] [--workers 2]

The database named in DATABASE_URL is only a name: the benchmark creates `test_<name>`, migrates it,
imports, imports the same files again (everything unchanged), and drops it. It prints the figures;
it asserts nothing. Every identity number is synthetic (Tenor style, month + 80).
"""

import argparse
import datetime
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

TARGET = 2000  # resources/s on a 2-core machine (issue #5)

# Shares of a 100 k export: a few prescriptions per person, most of them dispensed at least once.
SHARES = {
    "Patient": 0.15,
    "Practitioner": 0.002,
    "Organization": 0.001,
    "Medication": 0.007,
    "MedicationRequest": 0.50,
}


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myprescriptions.settings")
    os.environ.setdefault("DEBUG", "1")  # dev settings; DEBUG itself is switched off below
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mp_bench_import")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # no query log growing in memory


def generate(folder: Path, total: int, seed: int = 5) -> dict[str, int]:
    from prescriptions.fhir import profile
    from prescriptions.identity import make_synthetic

    rng = random.Random(seed)
    counts = {kind: max(1, int(total * share)) for kind, share in SHARES.items()}
    counts["MedicationDispense"] = total - sum(counts.values())
    today = datetime.date.today()

    def write(kind, rows):
        with (folder / f"{kind}.ndjson").open("w") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")

    def patients():
        made, seen = 0, set()
        day = datetime.date(1940, 1, 1)
        while made < counts["Patient"]:
            for individual in range(100, 499, 7):
                number = make_synthetic(day, individual)
                if int(number[6:9]) > 499 or number in seen:
                    continue
                seen.add(number)
                yield {
                    "resourceType": "Patient", "id": f"p{made}",
                    "identifier": [{"system": profile.NATIONAL_ID, "value": number}],
                    "name": [{"family": rng.choice(["Hansen", "Johansen", "Olsen", "Larsen"]),
                              "given": [rng.choice(["Kari", "Ola", "Ingrid", "Per", "Nils"])]}],
                    "birthDate": day.isoformat(),
                }
                made += 1
                if made == counts["Patient"]:
                    return
            day += datetime.timedelta(days=1)

    write("Patient", patients())
    write("Practitioner", ({
        "resourceType": "Practitioner", "id": f"hpr{i}",
        "identifier": [{"system": profile.HPR, "value": str(9000000 + i)}], "name": [{"text": f"Lege {i}"}],
    } for i in range(counts["Practitioner"])))
    write("Organization", ({
        "resourceType": "Organization", "id": f"org{i}",
        "identifier": [{"system": profile.GLN, "value": f"70800{i:08d}"}], "name": f"Apotek {i}",
    } for i in range(counts["Organization"])))
    write("Medication", ({
        "resourceType": "Medication", "id": f"med{i}",
        "extension": [{"url": profile.EXT_STRENGTH, "valueString": f"{(i % 20 + 1) * 5} mg"}],
        "identifier": [{"system": profile.MEDICATION_CODE, "value": f"bench-{i}"}],
        "code": {"coding": [{"system": profile.ATC, "code": f"N0{i % 7 + 1}AB{i % 90 + 10:02d}"},
                            {"system": profile.PACKAGE_NUMBER, "code": str(100000 + i)}],
                 "text": f"Legemiddel {i}"},
        "form": {"text": "tablett"},
    } for i in range(counts["Medication"])))

    def requests():
        for i in range(counts["MedicationRequest"]):
            issued = today - datetime.timedelta(days=rng.randrange(0, 700))
            yield {
                "resourceType": "MedicationRequest", "id": f"rx{i}",
                "extension": [{"url": profile.EXT_DISPENSING_GROUP, "valueCode": rng.choice("CCCCB")}],
                "identifier": [{"system": profile.PRESCRIPTION_ID, "value": f"BENCH-{i}"}],
                "status": rng.choice(["active"] * 8 + ["completed", "cancelled"]),
                "intent": "order",
                "medicationReference": {"reference": f"Medication/med{rng.randrange(counts['Medication'])}"},
                "subject": {"reference": f"Patient/p{i % counts['Patient']}"},
                "authoredOn": issued.isoformat(),
                "requester": {"reference": f"Practitioner/hpr{rng.randrange(counts['Practitioner'])}"},
                "reasonCode": [{"text": "Høyt blodtrykk"}],
                "dosageInstruction": [{"text": "1 tablett daglig"}],
                "dispenseRequest": {
                    "validityPeriod": {"start": issued.isoformat(), "end": (issued + datetime.timedelta(days=365)).isoformat()},
                    "numberOfRepeatsAllowed": rng.randrange(0, 6),
                    "quantity": {"value": 100, "unit": "stk"},
                },
                "substitution": {"allowedBoolean": rng.random() > 0.1},
            }

    write("MedicationRequest", requests())

    def dispenses():
        for i in range(counts["MedicationDispense"]):
            rx = i % counts["MedicationRequest"]
            yield {
                "resourceType": "MedicationDispense", "id": f"d{i}",
                "identifier": [{"system": profile.DISPENSE_ID, "value": f"BENCH-{rx}-d{i}"}],
                "status": "completed",
                "medicationReference": {"reference": f"Medication/med{rng.randrange(counts['Medication'])}"},
                "subject": {"reference": f"Patient/p{rx % counts['Patient']}"},
                "performer": [{"actor": {"reference": f"Organization/org{rng.randrange(counts['Organization'])}"}}],
                "authorizingPrescription": [{"reference": f"MedicationRequest/rx{rx}"}],
                "quantity": {"value": 100, "unit": "stk"},
                "whenHandedOver": f"{(today - datetime.timedelta(days=rng.randrange(0, 300))).isoformat()}T12:00:00+01:00",
                "substitution": {"wasSubstituted": rng.random() < 0.2},
            }

    write("MedicationDispense", dispenses())
    return counts


def _postgres_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend, when the server runs on this machine."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_import(folder: Path, workers: int) -> dict:
    from prescriptions.fhir.importer import Importer

    errors = []
    database_before, readers_before = _postgres_cpu_seconds(), _children_cpu_seconds()
    cpu_before, started = time.process_time(), time.perf_counter()
    with Importer(report=lambda issue: errors.append(str(issue)) if issue.level == "error" else None,
                  workers=workers) as importer:
        importer.import_paths([str(folder)])
    database_after = _postgres_cpu_seconds()
    figures = {
        "elapsed": time.perf_counter() - started,
        "main": time.process_time() - cpu_before,
        "readers": _children_cpu_seconds() - readers_before,
        "database": None if database_before is None or database_after is None else database_after - database_before,
        "importer": importer,
    }
    if errors:
        print(f"{len(errors)} errors, first: {errors[0]}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 4))
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("The benchmark measures PostgreSQL: set DATABASE_URL=postgres://…")
        return 2
    real_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            counts = generate(folder, args.resources)
            size = sum(p.stat().st_size for p in folder.iterdir())
            print(f"generated {sum(counts.values()):,} resources ({size / 1e6:.0f} MB NDJSON) in "
                  f"{time.perf_counter() - started:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            print(f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} CPUs, {args.workers} reader process(es)")
            cores = os.cpu_count() or 1
            for label in ("first import (all new)", "second import (all unchanged)"):
                load = os.getloadavg()[0]
                figures = run_import(folder, args.workers)
                importer = figures["importer"]
                done = sum(c.created + c.updated + c.unchanged for c in importer.counts.values())
                rate = done / figures["elapsed"]
                verdict = "meets" if rate >= TARGET else "below"
                print(f"{label}: {done:,} resources in {figures['elapsed']:.1f} s = {rate:,.0f} resources/s "
                      f"({verdict} the target of {TARGET:,}/s); errors {importer.errors}")
                cpu = figures["main"] + figures["readers"] + (figures["database"] or 0)
                database = "n/a" if figures["database"] is None else f"{figures['database']:.1f} s"
                print(f"  CPU: importer {figures['main']:.1f} s, readers {figures['readers']:.1f} s, "
                      f"PostgreSQL backend {database}; load average before {load:.1f} on {cores} CPUs")
                # On a shared machine the wall-clock rate says more about the neighbours than about the
                # importer; the CPU it used bounds what it does with the cores to itself (the importing
                # process itself is serial, so its own CPU time is a floor too).
                floor = max(cpu / cores, figures["main"])
                print(f"  {cpu / done * 1000:.2f} CPU-ms per resource: at most {done / floor:,.0f} resources/s "
                      f"on {cores} idle CPUs")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak memory of the importing process: {peak:.0f} MB")
    finally:
        connection.creation.destroy_test_db(real_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
