"""The benchmark's own arithmetic: how the load client counts answers, and how the report turns
runs into ratios and target verdicts. A wrong figure here would be quoted in an issue note."""

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import loadgen, report


def run(name, size, concurrency, rps, p95, p99=None, errors=0, cpu=None):
    return {
        "name": name, "size": size, "concurrency": concurrency, "requests": int(rps * 10), "errors": errors,
        "error_samples": [], "rps": rps, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p99 or p95 * 1.5,
        "server_cpu_ms": cpu, "client_cpu_ms": 1.0, "postgres_cpu_ms": 0.5,
    }


@pytest.fixture
def results():
    return {
        "started": "2026-12-04T10:00:00",
        "environment": {"workers": 2, "threads": 4, "cpus": 2, "duration": 10, "warmup": 2, "redis": "none"},
        "sizes": {
            "10k": [
                run("baseline", "10k", 8, 500.0, 20.0, cpu=2.0),
                run("overview", "10k", 8, 100.0, 90.0, cpu=12.0),
                run("baseline", "10k", 32, 520.0, 70.0, p99=120.0, cpu=2.0),
                run("overview", "10k", 32, 104.0, 300.0, p99=400.0, cpu=12.0),
            ],
            "1m": [
                run("baseline", "1m", 8, 490.0, 21.0, cpu=2.1),
                run("overview", "1m", 8, 98.0, 126.0, cpu=12.6),
                run("baseline", "1m", 32, 500.0, 77.0, p99=140.0, errors=1, cpu=2.1),
                run("overview", "1m", 32, 100.0, 330.0, p99=420.0, cpu=12.3),
            ],
        },
        "saml": {
            "returning": {"logins_per_s": 53.1, "errors": 0, "concurrency": 8, "logins": 531,
                          "p50_ms": 140, "p95_ms": 200, "p99_ms": 230},
            "first_pass": {"logins_per_s": 45.8, "errors": 0, "concurrency": 8, "logins": 200,
                           "p50_ms": 160, "p95_ms": 220, "p99_ms": 260},
        },
    }


def test_ratios_compare_each_page_with_the_baseline_of_its_own_size_and_concurrency(results):
    r = report.ratios(results)
    assert r["page_vs_baseline"]["10k/overview/c8"] == 0.2
    assert r["page_vs_baseline"]["1m/overview/c32"] == 0.2
    assert r["page_vs_baseline"]["10k/baseline/c32"] == 1.0
    assert r["p95_large_vs_small"]["overview/c8"] == 1.4
    assert r["p95_large_vs_small"]["baseline/c32"] == 1.1
    assert r["cpu_vs_baseline"]["10k/overview/c8"] == 6.0


def test_checks_report_each_target_met_or_missed(results):
    verdicts = {label: (ok, detail) for label, ok, detail in report.checks(results, report.ratios(results))}
    assert verdicts["overview ≥ 60 % of baseline (10k, c8)"] == (False, "20%")
    assert verdicts["p99 ≤ 150 ms, 0 errors at 32 (10k, baseline)"] == (True, "p99 120.0 ms, 0 errors")
    # Under 150 ms, but one error: missed.
    assert verdicts["p99 ≤ 150 ms, 0 errors at 32 (1m, baseline)"] == (False, "p99 140.0 ms, 1 errors")
    assert verdicts["p99 ≤ 150 ms, 0 errors at 32 (1m, overview)"][0] is False
    assert verdicts["1M/10k p95 ≤ 1.2 (baseline/c8)"] == (True, "1.05")
    assert verdicts["1M/10k p95 ≤ 1.2 (overview/c8)"] == (False, "1.40")
    assert verdicts["SAML logins ≥ 50/s"] == (True, "53.1/s, 0 errors")


def test_a_saml_run_with_errors_misses_its_target_however_fast(results):
    results["saml"]["returning"]["errors"] = 2
    verdicts = {label: ok for label, ok, _ in report.checks(results, report.ratios(results))}
    assert verdicts["SAML logins ≥ 50/s"] is False


def test_the_printed_table_has_a_row_per_page_size_and_concurrency_and_the_verdicts(results):
    text = report.render(results)
    rows = [line.split() for line in text.splitlines() if line[:7].strip() in ("8", "32")]
    assert len(rows) == 8
    overview_1m_8 = next(row for row in rows if row[:3] == ["8", "overview", "1m"])
    assert overview_1m_8[3] == "98.0" and overview_1m_8[8] == "20%" and overview_1m_8[-1] == "1.40"
    assert "SAML logins, returning users: 53.1/s at 8 clients" in text
    assert "[MISSED] overview ≥ 60 % of baseline (1m, c32): 20%" in text
    assert "[met] SAML logins ≥ 50/s" in text


def test_the_json_report_carries_ratios_and_verdicts(results, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    path = report.write(results)
    written = json.loads(path.read_text())
    assert written == json.loads((tmp_path / "latest.json").read_text())
    assert written["ratios"]["page_vs_baseline"]["10k/overview/c8"] == 0.2
    missed = {t["target"] for t in written["targets"] if not t["met"]}
    assert "overview ≥ 60 % of baseline (10k, c8)" in missed
    assert "SAML logins ≥ 50/s" not in missed


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert loadgen.percentile(values, 0.50) == 50.0
    assert loadgen.percentile(values, 0.99) == 99.0
    assert loadgen.percentile([7.0], 0.99) == 7.0
    assert loadgen.percentile([], 0.5) is None


def test_slices_of_one_measurement_are_pooled():
    a = {"name": "overview", "size": "1m", "concurrency": 8, "seconds": 2.0, "latencies_ms": [10.0, 30.0],
         "errors": 1, "error_samples": ["500 /a"], "server_cpu_seconds": 0.03, "client_cpu_seconds": 0.0,
         "postgres_cpu_seconds": 0.0}
    b = {**a, "seconds": 3.0, "latencies_ms": [20.0, 40.0, 50.0], "errors": 0, "error_samples": [],
         "server_cpu_seconds": 0.03}
    s = loadgen.summarize([a, b])
    assert (s["requests"], s["errors"], s["rps"], s["p50_ms"], s["max_ms"]) == (5, 1, 1.0, 30.0, 50.0)
    # CPU is shared over every answered request, errors included: 60 ms over 6.
    assert s["server_cpu_ms"] == 10.0
    assert s["error_samples"] == ["500 /a"]


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self):
        body = {"/right": b"<h1>Fortunes</h1>", "/wrong": b"<h1>Log in</h1>"}.get(self.path)
        if body is None:
            self.send_response(302)
            self.send_header("Location", "/login/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path, counted_as", [("/right", "answer"), ("/wrong", "error"), ("/moved", "error")])
def test_the_load_client_counts_only_the_expected_page_as_an_answer(http_server, path, counted_as):
    """A login page or a redirect served fast must not pass for the page under test."""
    plan = {"host": "bench.example", "cookie": "mrsession", "warmup": 0.0, "duration": 0.3}
    spec = {"session": "abc", "paths": [path], "expect": "Fortunes"}
    result = asyncio.run(loadgen.run_one(plan, {"name": "p", "base_url": http_server, "concurrency": 2,
                                                "clients": [spec]}))
    answers, errors = len(result["latencies_ms"]), result["errors"]
    if counted_as == "answer":
        assert answers > 0 and errors == 0
    else:
        assert answers == 0 and errors > 0
        assert result["error_samples"][0].startswith(("200 " if path == "/wrong" else "302 ") + path)
