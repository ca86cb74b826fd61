"""A small closed-loop load client on asyncio + httpx, run as its own process.

Reads a JSON plan on stdin and prints JSON results. Each virtual client has its own connection
and its own session (never two clients on one session, which would serialise on its row), sends
a request, waits for the answer, sends the next. Latency is measured from send to the last byte.

Plan: {"host": ..., "cookie": "mrsession", "warmup": s, "duration": s,
       "runs": [{"name": ..., "base_url": ..., "concurrency": n,
                 "clients": [{"session": key or null, "paths": [...], "expect": "..."}]}]}
A response counts as an error unless it is 200 and carries `expect` (a byte string) when given.
Runs with the same name, size and concurrency are slices of one measurement: their latencies are
pooled, so slices of two sizes can alternate and meet the same background load.
"""

import asyncio
import json
import math
import os
import sys
import time
from pathlib import Path

import httpx


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time of these processes so far (Linux /proc), or None if unreadable."""
    total = 0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return None
    return total / CLOCK_TICKS


def postgres_cpu_seconds() -> float | None:
    """CPU time so far of every PostgreSQL process on this machine (its backends serve the app
    servers under test, and nothing else runs on it during a measurement); None without /proc."""
    total = 0
    try:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            total += int(fields[11]) + int(fields[12])
    except OSError:
        return None
    return total / CLOCK_TICKS


class CpuMeter:
    """CPU spent between start() and stop() by the app server's workers, this load process and
    PostgreSQL: on a machine they share, what one request costs the machine in all."""

    def __init__(self, server_pids: list[int]):
        self.server_pids = server_pids
        self.started = None

    def _now(self):
        return cpu_seconds(self.server_pids) if self.server_pids else None, time.process_time(), postgres_cpu_seconds()

    def start(self) -> None:
        self.started = self._now()

    def stop(self) -> dict:
        ended = self._now()
        names = ("server_cpu_seconds", "client_cpu_seconds", "postgres_cpu_seconds")
        if self.started is None:
            return dict.fromkeys(names)
        return {name: (b - a if a is not None and b is not None else None)
                for name, a, b in zip(names, self.started, ended)}


def per_request_ms(seconds: list[float | None], requests: int) -> float | None:
    if not requests or any(s is None for s in seconds):
        return None
    return round(sum(seconds) * 1000 / requests, 2)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = max(0, math.ceil(fraction * len(sorted_values)) - 1)
    return sorted_values[index]


async def _client(base_url, host, cookie, spec, stop_at, record_from, latencies, errors, samples):
    headers = {"Host": host, "Accept-Language": "nb"}
    if spec.get("session"):
        headers["Cookie"] = f"{cookie}={spec['session']}"
    paths = spec["paths"]
    expect = spec.get("expect", "").encode()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0, follow_redirects=False) as client:
        n = 0
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return
            path = paths[n % len(paths)]
            n += 1
            ok = False
            try:
                response = await client.get(path, headers=headers)
                ok = response.status_code == 200 and (not expect or expect in response.content)
                if not ok and len(samples) < 3:
                    samples.append(f"{response.status_code} {path} {response.headers.get('location', '')}")
            except httpx.HTTPError as exc:
                if len(samples) < 3:
                    samples.append(f"{type(exc).__name__} {path}")
            # Cookies set by the server (the same session, csrftoken) must not leak between requests.
            client.cookies.clear()
            end = time.perf_counter()
            if now >= record_from:
                if ok:
                    latencies.append((end - now) * 1000)
                else:
                    errors.append(1)


async def run_one(plan: dict, run: dict) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    samples: list[str] = []
    start = time.perf_counter()
    record_from = start + plan["warmup"]
    stop_at = record_from + plan["duration"]
    clients = [run["clients"][i % len(run["clients"])] for i in range(run["concurrency"])]
    meter = CpuMeter(run.get("server_pids", []))

    async def snapshot():
        await asyncio.sleep(max(0.0, record_from - time.perf_counter()))
        meter.start()

    await asyncio.gather(snapshot(), *(
        _client(run.get("base_url", plan.get("base_url")), plan["host"], plan["cookie"], spec, stop_at, record_from,
                latencies, errors, samples)
        for spec in clients
    ))
    measured = time.perf_counter() - record_from
    return {
        "name": run["name"], "size": run.get("size"), "concurrency": run["concurrency"],
        "seconds": measured, "latencies_ms": latencies, "errors": len(errors), "error_samples": samples,
        **meter.stop(),
    }


def summarize(slices: list[dict]) -> dict:
    """Figures for one page, size and concurrency from one or more measured slices of it."""
    latencies = sorted(x for part in slices for x in part["latencies_ms"])
    seconds = sum(part["seconds"] for part in slices)
    errors = sum(part["errors"] for part in slices)
    answered = len(latencies) + errors

    def cpu_ms(key):
        return per_request_ms([part[key] for part in slices], answered)

    first = slices[0]
    return {
        "name": first["name"],
        "size": first["size"],
        "concurrency": first["concurrency"],
        "slices": len(slices),
        "seconds": round(seconds, 2),
        "requests": len(latencies),
        "errors": errors,
        "error_samples": [sample for part in slices for sample in part["error_samples"]][:3],
        "rps": round(len(latencies) / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": _round(percentile(latencies, 0.50)),
        "p95_ms": _round(percentile(latencies, 0.95)),
        "p99_ms": _round(percentile(latencies, 0.99)),
        "max_ms": _round(latencies[-1] if latencies else None),
        # CPU per request of the app server's workers (unaffected by other load on the machine), of
        # this load process, and of PostgreSQL: together what one request costs the shared machine.
        "server_cpu_ms": cpu_ms("server_cpu_seconds"),
        "client_cpu_ms": cpu_ms("client_cpu_seconds"),
        "postgres_cpu_ms": cpu_ms("postgres_cpu_seconds"),
    }


def _round(value):
    return None if value is None else round(value, 1)


async def run_plan(plan: dict) -> list[dict]:
    """Runs in plan order; runs sharing (name, size, concurrency) are slices of one measurement,
    summarised together, in the order each first appeared."""
    slices: dict[tuple, list[dict]] = {}
    for run in plan["runs"]:
        part = await run_one(plan, run)
        slices.setdefault((run["name"], run.get("size"), run["concurrency"]), []).append(part)
        print(f"[loadgen] {run['name']} {run.get('size')} c{run['concurrency']}: "
              f"{len(part['latencies_ms'])} ok, {part['errors']} errors", file=sys.stderr, flush=True)
    return [summarize(parts) for parts in slices.values()]


def main() -> int:
    plan = json.load(sys.stdin)
    json.dump(asyncio.run(run_plan(plan)), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
