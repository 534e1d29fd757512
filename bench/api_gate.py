"""The MES gate over HTTP, under gunicorn on loopback.

    python -m bench.api_gate [--requests N] [--json]

Reuses the medium plant of bench.qualification (10,000 people, 2,000 documents;
copied from var/bench/qualification.sqlite3 when present, else built), creates a
token, starts gunicorn (one sync worker) on a free 127.0.0.1 port, and measures with
a bounded, sequential request loop, interleaving the two endpoints so both see the
same machine load:

* GET /api/v1/qualifications/check (one random pair) against GET /api/v1/ping/ (a
  no-op DRF view with the same authentication, audit of the token use, throttle):
  p50 and p99, and their ratio (target <= 2x);
* POST /api/v1/qualifications/check with 1,000 pairs: median of 10 (target <= 250 ms).
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import time

from bench import _django
from bench._servers import Servers

NAME = "api_gate"


def _prepare() -> str:
    if not os.environ.get("BENCH_DATABASE_URL"):
        source = _django.BENCH_DIR / "qualification.sqlite3"
        target = _django.BENCH_DIR / f"{NAME}.sqlite3"
        if source.exists() and not target.exists():
            shutil.copy(source, target)
    vendor = _django.setup(NAME)
    from bench import qualification
    from qualify.org.models import Person

    if not Person.objects.exists():
        qualification.build()
    return vendor


def _request(port, method, path, token, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{method} {path} -> {response.status}: {data[:300]!r}")
    return elapsed, data


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def measure(requests: int) -> list[dict]:
    from bench.qualification import AT
    from qualify.api.tokens import token_create
    from qualify.documents.models import Document
    from qualify.org.models import Person

    _, token = token_create(name=f"bench-{int(time.time())}", scopes=["read"])
    rng = random.Random(7)
    numbers = list(Person.objects.values_list("employee_number", flat=True))
    documents = list(Document.objects.values_list("number", flat=True))
    at = AT.isoformat().replace("+00:00", "Z")
    with Servers(1) as servers:
        port = servers.ports[0]
        for _ in range(20):  # warm up both paths
            _request(port, "GET", "/api/v1/ping/", token)
            _request(
                port,
                "GET",
                f"/api/v1/qualifications/check?person={numbers[0]}&document={documents[0]}&at={at}",
                token,
            )
        ping, check = [], []
        for _ in range(requests):
            person, document = rng.choice(numbers), rng.choice(documents)
            path = f"/api/v1/qualifications/check?person={person}&document={document}&at={at}"
            ping.append(_request(port, "GET", "/api/v1/ping/", token)[0])
            check.append(_request(port, "GET", path, token)[0])
        pairs = [
            {"person": rng.choice(numbers), "document": rng.choice(documents)} for _ in range(1000)
        ]
        batch = []
        for _ in range(10):
            elapsed, data = _request(
                port, "POST", "/api/v1/qualifications/check", token, {"pairs": pairs, "at": at}
            )
            batch.append(elapsed)
        answered = len(json.loads(data)["answers"])
    p50 = (_pct(check, 0.5), _pct(ping, 0.5))
    p99 = (_pct(check, 0.99), _pct(ping, 0.99))
    median_batch = statistics.median(batch)
    return [
        _row("single check p50 ms (no-op view p50 ms)", f"{p50[0]:.2f} ({p50[1]:.2f})", "", None),
        _row("single check / no-op, p50", round(p50[0] / p50[1], 2), "<= 2x", p50[0] / p50[1] <= 2),
        _row("single check p99 ms (no-op view p99 ms)", f"{p99[0]:.2f} ({p99[1]:.2f})", "", None),
        _row("single check / no-op, p99", round(p99[0] / p99[1], 2), "<= 2x", p99[0] / p99[1] <= 2),
        _row(
            f"batch of {answered} pairs, median of 10, ms",
            round(median_batch, 1),
            "<= 250 ms",
            median_batch <= 250,
        ),
    ]


def _row(metric, value, target, met) -> dict:
    return {"benchmark": NAME, "metric": metric, "value": value, "target": target, "met": met}


def run(requests: int = 300) -> list[dict]:
    vendor = _prepare()
    rows = measure(requests)
    for row in rows:
        row["database"] = vendor
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = run(args.requests)
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        return
    for row in rows:
        met = "" if row["met"] is None else ("yes" if row["met"] else "NO")
        print(f"| {row['database']} | {row['metric']} | {row['value']} | {row['target']} | {met} |")


if __name__ == "__main__":
    main()
