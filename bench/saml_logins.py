"""SAML logins per second through the real ACS, signature verification included.

Each login is the browser's path with the IdP played by this process:
  1. POST /auth/saml/eid/login/        -> 302 to the IdP with a fresh AuthnRequest (its ID stashed in the session)
  2. build and sign a Response for that request ID with the benchmark IdP's key (RSA-SHA256)
  3. POST /auth/saml/eid/acs/          -> 302 to the finish step
  4. GET  /auth/saml/eid/acs/finish/   -> 302 to the person switch: logged in
A login counts only if step 4 redirects to the person switch with a new session cookie.

Reads a JSON plan on stdin, prints JSON results. Runs as its own process; no Django settings needed
(myprescriptions.testidp.idp.build_response signs with the key it is given).
"""

import asyncio
import base64
import json
import math
import re
import sys
import time
import zlib
from urllib.parse import parse_qs, urlparse

import httpx

from bench.loadgen import CpuMeter, per_request_ms
from myprescriptions.testidp.idp import LEVELS, build_response


def _cookies(response, jar: dict) -> None:
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        if "max-age=0" in header.lower() or not value:
            jar.pop(name.strip(), None)
        else:
            jar[name.strip()] = value


def _cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def authn_request(location: str) -> tuple[str, str, str, str]:
    """(request ID, ACS URL, SP entity ID, RelayState) from the redirect to the IdP."""
    query = parse_qs(urlparse(location).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    request_id = re.search(r'\sID="([^"]+)"', xml).group(1)
    acs = re.search(r'AssertionConsumerServiceURL="([^"]+)"', xml).group(1)
    issuer = re.search(r"<saml:Issuer[^>]*>([^<]+)</saml:Issuer>", xml).group(1)
    return request_id, acs, issuer, query.get("RelayState", [""])[0]


async def one_login(client: httpx.AsyncClient, host: str, plan: dict, national_id: str) -> tuple[bool, str]:
    jar: dict[str, str] = {}
    headers = {"Host": host}
    r = await client.post("/auth/saml/eid/login/", data={"process": "login"}, headers=headers)
    if r.status_code != 302:
        return False, f"login {r.status_code}"
    _cookies(r, jar)
    request_id, acs_url, audience, relay = authn_request(r.headers["location"])
    xml = build_response(
        acs_url=acs_url, audience=audience, in_response_to=request_id, national_id=national_id,
        authn_context=LEVELS["high"], key_pem=plan["key_pem"], cert_pem=plan["cert_pem"], issuer=plan["issuer"],
    )
    data = {"SAMLResponse": base64.b64encode(xml.encode()).decode(), "RelayState": relay}
    r = await client.post(urlparse(acs_url).path, data=data, headers={**headers, "Cookie": _cookie_header(jar)})
    if r.status_code != 302:
        return False, f"acs {r.status_code}"
    _cookies(r, jar)
    before = jar.get(plan["cookie"])
    r = await client.get(urlparse(r.headers["location"]).path, headers={**headers, "Cookie": _cookie_header(jar)})
    _cookies(r, jar)
    if r.status_code != 302 or urlparse(r.headers["location"]).path != plan["success_path"]:
        return False, f"finish {r.status_code} {r.headers.get('location', '')}"
    if not jar.get(plan["cookie"]) or jar.get(plan["cookie"]) == before:
        return False, "no new session"
    return True, ""


async def run_pass(plan: dict, national_ids: list[str], *, duration: float | None, concurrency: int) -> dict:
    latencies: list[float] = []
    failures: list[str] = []
    queue = list(reversed(national_ids))
    start = time.perf_counter()
    stop_at = start + duration if duration else None

    async def worker(offset: int):
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=plan["base_url"], limits=limits, timeout=30.0) as client:
            n = offset
            while True:
                if stop_at is not None:
                    if time.perf_counter() >= stop_at:
                        return
                    national_id = national_ids[n % len(national_ids)]
                    n += concurrency
                else:
                    if not queue:
                        return
                    national_id = queue.pop()
                began = time.perf_counter()
                try:
                    ok, why = await one_login(client, plan["host"], plan, national_id)
                except httpx.HTTPError as exc:
                    ok, why = False, type(exc).__name__
                if ok:
                    latencies.append((time.perf_counter() - began) * 1000)
                else:
                    failures.append(why)

    meter = CpuMeter(plan.get("server_pids", []))
    meter.start()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    seconds = time.perf_counter() - start
    cpu = meter.stop()
    attempts = len(latencies) + len(failures)
    latencies.sort()

    def pct(f):
        return round(latencies[max(0, math.ceil(f * len(latencies)) - 1)], 1) if latencies else None

    return {
        "concurrency": concurrency, "seconds": round(seconds, 2), "logins": len(latencies),
        "errors": len(failures), "error_samples": sorted(set(failures))[:3],
        "logins_per_s": round(len(latencies) / seconds, 1), "p50_ms": pct(0.5), "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        # CPU per login (four requests) of the gunicorn workers, of this process (which also plays
        # the IdP: it builds and signs every response) and of PostgreSQL.
        "server_cpu_ms": per_request_ms([cpu["server_cpu_seconds"]], attempts),
        "client_cpu_ms": per_request_ms([cpu["client_cpu_seconds"]], attempts),
        "postgres_cpu_ms": per_request_ms([cpu["postgres_cpu_seconds"]], attempts),
    }


async def run(plan: dict) -> dict:
    ids = plan["national_ids"]
    # First pass: every benchmark login person once (creates the account of those who have none).
    first = await run_pass(plan, ids, duration=None, concurrency=plan["concurrency"])
    returning = await run_pass(plan, ids, duration=plan["duration"], concurrency=plan["concurrency"])
    return {"first_pass": first, "returning": returning}


def main() -> int:
    plan = json.load(sys.stdin)
    json.dump(asyncio.run(run(plan)), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
