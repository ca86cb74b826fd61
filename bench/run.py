"""`make bench`: builds the datasets, serves them with gunicorn in production settings, drives
load from a separate process and prints the table (see README, "Benchmark").

    python -m bench.run [--sizes 10k,1m] [--rebuild] [--duration 10] [--slices 4] [--warmup 1]
                        [--concurrency 8,32] [--workers 2 --threads 4] [--no-saml] [--no-import]

Needs PostgreSQL: databases are named mp_bench_<size> on the server of BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/). Results go to bench-results/ as JSON.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import psycopg

from bench import report, server

ROOT = server.ROOT
PYTHON = server.PYTHON
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
PAGES = ["baseline", "overview", "detail", "dispensed", "access_log"]
SAML_CONCURRENCY = 8


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def database_url(size: str) -> str:
    base = urlparse(os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/"))
    return base._replace(path=f"/mp_bench_{size}").geturl()


def run_module(module: str, env: dict, stdin: str | None = None) -> str:
    result = subprocess.run(
        [PYTHON, "-m", module], cwd=ROOT, env=env, input=stdin, text=True, stdout=subprocess.PIPE, check=True
    )
    return result.stdout


def build(size: str, rebuild: bool, env: dict) -> dict:
    args = ["--prescriptions", str(SIZES[size])] + (["--rebuild"] if rebuild else [])
    result = subprocess.run(
        [PYTHON, "-m", "bench.datagen", *args], cwd=ROOT, env={**env, "DATABASE_URL": database_url(size)},
        text=True, stdout=subprocess.PIPE, check=True,
    )
    return json.loads(result.stdout)


def page_runs(prepared: dict, concurrency: int, names: list[str]) -> tuple[list[dict], list[str]]:
    """One run per page at `concurrency`, each client on its own user's session."""
    users, pages, notes, runs = prepared["users"], prepared["pages"], [], []
    if concurrency > len(users):
        raise SystemExit(f"{concurrency} clients need as many benchmark users; the dataset has {len(users)}")
    for name in names:
        if pages.get(name) is None:
            notes.append(f"page '{name}' is not in this build (no URL): not measured")
            continue
        if name == "baseline":
            clients = [{"session": None, "paths": [pages[name]], "expect": "Additional fortune"}]
        elif name == "detail":
            clients = [{"session": u["session"], "paths": u["detail_paths"]} for u in users]
        else:
            clients = [{"session": u["session"], "paths": [pages[name]]} for u in users]
        runs.append({"name": name, "concurrency": concurrency, "clients": clients})
    return runs, notes


def saml_plan(size: str, dataset: dict, idp: dict, gunicorn: server.Gunicorn, duration: float) -> dict:
    counts = dataset["counts"]
    first = counts["saml_first_person_id"]
    with psycopg.connect(database_url(size)) as conn:
        ids = [row[0] for row in conn.execute(
            "SELECT national_id FROM prescriptions_person WHERE id >= %s AND id < %s ORDER BY id",
            [first, first + counts["saml_users"]],
        )]
    return {
        "base_url": gunicorn.base_url, "host": server.HOST, "cookie": "mrsession", "success_path": "/choose/",
        "key_pem": idp["key_pem"], "cert_pem": idp["cert_pem"], "issuer": idp["entity_id"],
        "national_ids": ids, "concurrency": SAML_CONCURRENCY, "duration": duration,
        "server_pids": gunicorn.worker_pids(),
    }


def fhir_import(env: dict) -> str | None:
    """The data issue's import benchmark, when it exists: called, not duplicated."""
    script = ROOT / "bench" / "bench_import.py"
    if not script.exists():
        return None
    _log("FHIR import benchmark (bench/bench_import.py)")
    result = subprocess.run(
        [PYTHON, "-m", "bench.bench_import"], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    output = result.stdout.strip()
    return output if result.returncode == 0 else f"failed ({result.returncode}): {output[-500:]}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,1m")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the datasets even if reusable")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per page and concurrency")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each slice is measured")
    parser.add_argument("--slices", type=int, default=4,
                        help="each measurement is split into this many slices, alternating between the sizes")
    parser.add_argument("--concurrency", default="8,32")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", server.DEFAULT_WORKERS)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", server.DEFAULT_THREADS)))
    parser.add_argument("--saml-duration", type=float, default=10.0)
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated subset of " + ", ".join(PAGES))
    parser.add_argument("--no-saml", action="store_true")
    parser.add_argument("--no-import", action="store_true")
    args = parser.parse_args(argv)
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size not in SIZES:
            raise SystemExit(f"unknown size {size!r}; choose from {', '.join(SIZES)}")
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    names = [n.strip() for n in args.pages.split(",") if n.strip()]
    for name in names:
        if name not in PAGES:
            raise SystemExit(f"unknown page {name!r}; choose from {', '.join(PAGES)}")

    work = Path(tempfile.mkdtemp(prefix="mp-bench-"))
    secret_key = server.new_secret_key()
    idp = server.write_idp(work)
    results = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "environment": {"workers": args.workers, "threads": args.threads, "cpus": os.cpu_count(),
                        "slices": args.slices,
                        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                        "duration": args.duration, "warmup": args.warmup, "python": sys.version.split()[0]},
        "datasets": {}, "sizes": {}, "notes": [],
    }
    env0 = server.production_env(work, database_url(sizes[0]), idp["metadata"], secret_key)
    results["environment"]["redis"] = env0.get("REDIS_URL") or "none: cache and replay cache in PostgreSQL"
    for size in sizes:
        _log(f"dataset {size}")
        results["datasets"][size] = build(size, args.rebuild, env0)
    _log("collectstatic")
    server.collectstatic(env0)

    # Every size is served at once (an idle server costs nothing), and each measurement is split into
    # slices that alternate between the sizes: a change in background load hits both sides of a ratio.
    servers, prepared = {}, {}
    try:
        for size in sizes:
            env = {**env0, "DATABASE_URL": database_url(size)}
            servers[size] = server.Gunicorn(
                env, workers=args.workers, threads=args.threads, log_path=work / f"gunicorn-{size}.log"
            ).start()
            _log(f"{size}: gunicorn on {servers[size].base_url}, preparing sessions")
            prepared[size] = json.loads(run_module("bench.sessions", env))
        runs = []
        for concurrency in concurrencies:
            for name in names:
                for slice_number in range(args.slices):
                    # A B B A A B B A ...: a steady rise or fall in background load favours neither size.
                    for size in sizes if slice_number % 2 == 0 else list(reversed(sizes)):
                        page_run, notes = page_runs(prepared[size], concurrency, [name])
                        for note in notes:
                            if note not in results["notes"]:
                                results["notes"].append(note)
                        runs.extend({**r, "size": size, "base_url": servers[size].base_url,
                                     "server_pids": servers[size].worker_pids()} for r in page_run)
        slice_seconds = args.duration / args.slices
        plan = {"host": server.HOST, "cookie": prepared[sizes[0]]["cookie"], "warmup": args.warmup,
                "duration": slice_seconds, "runs": runs}
        _log(f"measuring {len(runs)} slices of {args.warmup + slice_seconds:.1f} s")
        for result in json.loads(run_module("bench.loadgen", env0, json.dumps(plan))):
            results["sizes"].setdefault(result["size"], []).append(result)
        if not args.no_saml:
            size = sizes[-1]
            _log(f"{size}: SAML logins")
            splan = saml_plan(size, results["datasets"][size], idp, servers[size], args.saml_duration)
            results["saml"] = json.loads(run_module("bench.saml_logins", env0, json.dumps(splan)))
            results["saml"]["dataset"] = size
    finally:
        for gunicorn in servers.values():
            gunicorn.stop()
    for size, gunicorn in servers.items():
        log_text = gunicorn.log_path.read_text(errors="replace") if gunicorn.log_path.exists() else ""
        errors = log_text.count('"level": "ERROR"') + log_text.count("Traceback")
        if errors:
            results["notes"].append(f"{size}: {errors} errors in the server log ({gunicorn.log_path})")
    if not args.no_import:
        # Its own database (it creates test_<name> and drops it), with the plain environment.
        results["fhir_import"] = fhir_import({**os.environ, "DATABASE_URL": database_url("import")})
    results["environment"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if not any("errors in the server log" in note for note in results["notes"]):
        shutil.rmtree(work, ignore_errors=True)  # keys, static files, logs: kept only to look at errors
    print(report.render(results))
    path = report.write(results)
    print(f"\nJSON report: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
