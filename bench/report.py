"""The benchmark's table, ratios and target checks: printed, and written as JSON to bench-results/."""

import datetime
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"

TARGETS = {
    "overview_vs_baseline": 0.60,  # overview throughput / baseline throughput, at least
    "p99_ms_at_32": 150.0,  # every page, at most, with 0 errors
    "p95_ratio_1m_10k": 1.2,  # every page, at most
    "saml_logins_per_s": 50.0,  # at least
}


def _fmt(value, spec="{:.1f}"):
    return "–" if value is None else spec.format(value)


def ratios(results: dict) -> dict:
    """page/baseline throughput per size and concurrency; large/small p95 per page and concurrency."""
    out = {"page_vs_baseline": {}, "p95_large_vs_small": {}, "cpu_large_vs_small": {}, "cpu_vs_baseline": {}}
    for size, runs in results["sizes"].items():
        base = {r["concurrency"]: r for r in runs if r["name"] == "baseline"}
        for r in runs:
            b = base.get(r["concurrency"])
            if b and b["rps"]:
                out["page_vs_baseline"][f"{size}/{r['name']}/c{r['concurrency']}"] = round(r["rps"] / b["rps"], 3)
            if b and b.get("server_cpu_ms") and r.get("server_cpu_ms"):
                out["cpu_vs_baseline"][f"{size}/{r['name']}/c{r['concurrency']}"] = round(
                    r["server_cpu_ms"] / b["server_cpu_ms"], 2)
    sizes = list(results["sizes"])
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        small_runs = {(r["name"], r["concurrency"]): r for r in results["sizes"][small]}
        for r in results["sizes"][large]:
            s = small_runs.get((r["name"], r["concurrency"]))
            if s and s["p95_ms"] and r["p95_ms"]:
                out["p95_large_vs_small"][f"{r['name']}/c{r['concurrency']}"] = round(r["p95_ms"] / s["p95_ms"], 3)
            if s and s.get("server_cpu_ms") and r.get("server_cpu_ms"):
                out["cpu_large_vs_small"][f"{r['name']}/c{r['concurrency']}"] = round(
                    r["server_cpu_ms"] / s["server_cpu_ms"], 3)
    return out


def checks(results: dict, r: dict) -> list[tuple[str, bool, str]]:
    out = []
    for key, value in r["page_vs_baseline"].items():
        size, name, conc = key.split("/")
        if name == "overview":
            ok = value >= TARGETS["overview_vs_baseline"]
            out.append((f"overview ≥ 60 % of baseline ({size}, {conc})", ok, f"{value:.0%}"))
    for size, runs in results["sizes"].items():
        for run in runs:
            if run["concurrency"] == 32:
                ok = (run["p99_ms"] or 1e9) <= TARGETS["p99_ms_at_32"] and run["errors"] == 0 and run["requests"] > 0
                out.append((f"p99 ≤ 150 ms, 0 errors at 32 ({size}, {run['name']})", ok,
                            f"p99 {_fmt(run['p99_ms'])} ms, {run['errors']} errors"))
    for key, value in r["p95_large_vs_small"].items():
        out.append((f"1M/10k p95 ≤ 1.2 ({key})", value <= TARGETS["p95_ratio_1m_10k"], f"{value:.2f}"))
    saml = results.get("saml", {}).get("returning")
    if saml:
        out.append(("SAML logins ≥ 50/s", saml["logins_per_s"] >= TARGETS["saml_logins_per_s"] and saml["errors"] == 0,
                    f"{saml['logins_per_s']}/s, {saml['errors']} errors"))
    return out


def render(results: dict) -> str:
    r = ratios(results)
    lines = []
    env = results.get("environment", {})
    lines.append(f"My Prescriptions benchmark, {results['started']}")
    lines.append(
        f"gunicorn {env.get('workers')} workers x {env.get('threads')} threads (gthread), DEBUG=0, "
        f"{env.get('cpus')} CPUs shared by server, PostgreSQL and load client; "
        f"{env.get('duration')} s per row in {env.get('slices', 1)} slices alternating between the sizes, "
        f"each after {env.get('warmup')} s warm-up; Redis: {env.get('redis')}"
    )
    if env.get("load_average_at_start"):
        lines.append(
            f"load average (1, 5, 15 min) at start {env['load_average_at_start']}, at end "
            f"{env.get('load_average_at_end')}: anything above what this run adds is other work on the machine"
        )
    lines.append(
        "req/s and latencies are seen by the client; 'vs base' is req/s as a share of the baseline's; "
        "'cpu ms' is CPU the gunicorn workers spent per request, 'client' the load process's and 'pg' "
        "PostgreSQL's (the three share the machine's CPUs)"
    )
    for size, meta in results.get("datasets", {}).items():
        counts = meta.get("counts", {})
        lines.append(
            f"dataset {size}: {counts.get('prescriptions')} prescriptions, {counts.get('people')} people, "
            f"{counts.get('dispenses')} dispenses, {counts.get('parental_links')} child links, "
            f"{counts.get('powers_of_attorney')} PoAs, {counts.get('access_log')} access-log entries "
            f"({'built' if meta.get('built') else 'reused'}, generated in {meta.get('seconds')} s)"
        )
    lines.append("")
    sizes = list(results["sizes"])
    growth_label = f"p95 {sizes[-1]}/{sizes[0]}" if len(sizes) > 1 else ""
    header = (f"{'clients':>7} {'page':<11} {'size':<5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
              f"{'errors':>6} {'vs base':>8} {'cpu ms':>7} {'client':>6} {'pg':>5} {growth_label:>10}")
    lines.append(header)
    lines.append("-" * len(header))
    order = []
    for size in sizes:
        for run in results["sizes"][size]:
            order.append((run["concurrency"], run["name"], sizes.index(size), size, run))
    names = []
    for _, name, _, _, _ in order:
        if name not in names:
            names.append(name)
    order.sort(key=lambda row: (row[0], names.index(row[1]), row[2]))
    previous = None
    for concurrency, name, _, size, run in order:
        if previous is not None and previous != (concurrency, name):
            lines.append("")
        previous = (concurrency, name)
        ratio = r["page_vs_baseline"].get(f"{size}/{name}/c{concurrency}")
        growth = r["p95_large_vs_small"].get(f"{name}/c{concurrency}") if size == sizes[-1] and len(sizes) > 1 else None
        lines.append(
            f"{concurrency:>7} {name:<11} {size:<5} {run['rps']:>8.1f} {_fmt(run['p50_ms']):>8} "
            f"{_fmt(run['p95_ms']):>8} {_fmt(run['p99_ms']):>8} {run['errors']:>6} "
            f"{_fmt(ratio, '{:.0%}'):>8} {_fmt(run.get('server_cpu_ms')):>7} {_fmt(run.get('client_cpu_ms')):>6} "
            f"{_fmt(run.get('postgres_cpu_ms')):>5} {_fmt(growth, '{:.2f}') if growth else '':>10}"
        )
        for sample in run.get("error_samples", []):
            lines.append(f"{'':>14}error: {sample}")
    if r["p95_large_vs_small"]:
        sizes = list(results["sizes"])
        lines.append("")
        lines.append(f"p95 ratio {sizes[-1]}/{sizes[0]}: " + ", ".join(
            f"{k} {v:.2f}" for k, v in r["p95_large_vs_small"].items()))
    if r["cpu_large_vs_small"]:
        lines.append(f"server CPU per request {sizes[-1]}/{sizes[0]}: " + ", ".join(
            f"{k} {v:.2f}" for k, v in r["cpu_large_vs_small"].items()))
    for note in results.get("notes", []):
        lines.append(f"note: {note}")
    saml = results.get("saml")
    if saml:
        lines.append("")
        for label, key in (("SAML logins, returning users", "returning"), ("SAML logins, first pass", "first_pass")):
            s = saml[key]
            lines.append(
                f"{label}: {s['logins_per_s']}/s at {s['concurrency']} clients ({s['logins']} logins, "
                f"{s['errors']} errors, p50 {_fmt(s['p50_ms'])} ms, p95 {_fmt(s['p95_ms'])} ms, p99 {_fmt(s['p99_ms'])} ms, "
                f"CPU per login: server {_fmt(s.get('server_cpu_ms'))} ms, load client and IdP "
                f"{_fmt(s.get('client_cpu_ms'))} ms, PostgreSQL {_fmt(s.get('postgres_cpu_ms'))} ms)"
            )
            for sample in s.get("error_samples", []):
                lines.append(f"  error: {sample}")
    if results.get("fhir_import"):
        lines.append("")
        lines.append("FHIR import (bench/bench_import.py):")
        lines.extend(f"  {line}" for line in results["fhir_import"].splitlines())
    lines.append("")
    lines.append("targets:")
    for label, ok, detail in checks(results, r):
        lines.append(f"  [{'met' if ok else 'MISSED'}] {label}: {detail}")
    return "\n".join(lines)


def write(results: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    results = {**results, "ratios": ratios(results)}
    results["targets"] = [
        {"target": label, "met": ok, "measured": detail} for label, ok, detail in checks(results, results["ratios"])
    ]
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"bench-{stamp}.json"
    text = json.dumps(results, indent=2, ensure_ascii=False)
    path.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    return path
