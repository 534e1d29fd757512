"""The API under concurrent clients, and two app servers against one (issue 18).

    python -m bench.api_load [--clients 8] [--requests 100] [--rounds 3] [--people N] [--json]

Reuses the medium plant of bench.qualification (10,000 people, 2,000 documents;
copied to var/bench/api_load.sqlite3, see bench._plant; BENCH_DATABASE_URL is used in
place), creates a read token and starts gunicorn (one sync
worker each) on free 127.0.0.1 ports. Each client is a thread sending requests one
after another, a new connection per request (as bench.api_gate). Measured, in rounds
so every side sees the same machine load:

* against one server, --clients clients at once, each sending --requests requests:
  the login page (anonymous GET), GET /api/v1/ping/ and GET
  /api/v1/qualifications/check (a random pair): requests/s and p99 of each, and the
  API's requests/s as a share of the login page's;
* two servers against one, the same clients and the same load (single checks and
  pings alternately), the clients split evenly between the servers: the throughput
  ratio (the issue expects nearly 2x on PostgreSQL; the client threads and both
  servers share this host's CPUs, which caps what the ratio can show).
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time

from bench import _plant
from bench._servers import Servers

NAME = "api_load"


def _request(port: int, path: str, token: str | None) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    conn.close()
    if response.status != 200:
        raise SystemExit(f"GET {path} -> {response.status}: {data[:300]!r}")
    return elapsed


def load(ports: list[int], paths, clients: int, requests: int) -> dict:
    """`clients` threads at once, client i on ports[i % len(ports)], each sending
    `requests` requests (paths(rng) gives each one's path and token)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        rng = random.Random(i)
        port = ports[i % len(ports)]
        barrier.wait()
        try:
            for _ in range(requests):
                path, token = paths(rng)
                latencies[i].append(_request(port, path, token))
        except BaseException as error:  # reported after the run, from the main thread
            failures.append(error)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if failures:
        raise SystemExit(f"a client failed: {failures[0]!r}")
    every = sorted(t for each in latencies for t in each)
    return {"count": len(every), "wall": wall, "latencies": every}


def _pct(values, q):
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _summary(runs: list[dict]) -> dict:
    """Requests/s over all rounds (total requests / total wall), p50 and p99 of all
    latencies."""
    every = sorted(t for run in runs for t in run["latencies"])
    count = sum(run["count"] for run in runs)
    wall = sum(run["wall"] for run in runs)
    return {
        "rps": count / wall,
        "p50": _pct(every, 0.5),
        "p99": _pct(every, 0.99),
        "count": count,
        "per_round_rps": [run["count"] / run["wall"] for run in runs],
    }


def measure(clients: int, requests: int, rounds: int) -> list[dict]:
    from django.urls import reverse

    from bench.qualification import AT
    from qualify.api.tokens import token_create
    from qualify.documents.models import Document
    from qualify.org.models import Person

    _, token = token_create(name=f"bench-load-{int(time.time())}", scopes=["read"])
    numbers = list(Person.objects.values_list("employee_number", flat=True))
    documents = list(Document.objects.values_list("number", flat=True))
    at = AT.isoformat().replace("+00:00", "Z")
    login = reverse("login")

    def login_page(rng):
        return login, None

    def ping(rng):
        return "/api/v1/ping/", token

    def check(rng):
        person, document = rng.choice(numbers), rng.choice(documents)
        return f"/api/v1/qualifications/check?person={person}&document={document}&at={at}", token

    def mixed(rng):
        return check(rng) if rng.random() < 0.5 else ping(rng)

    kinds = {"login page": login_page, "ping": ping, "single check": check}
    one_runs = {kind: [] for kind in kinds}
    scale_runs = {1: [], 2: []}
    with Servers(2) as servers:
        for port in servers.ports:  # warm both processes on every path
            for kind in kinds.values():
                for _ in range(10):
                    path, tok = kind(random.Random(0))
                    _request(port, path, tok)
        for _ in range(rounds):
            for kind, paths in kinds.items():
                one_runs[kind].append(load(servers.ports[:1], paths, clients, requests))
            for count in (1, 2):
                scale_runs[count].append(load(servers.ports[:count], mixed, clients, requests))
    one = {kind: _summary(runs) for kind, runs in one_runs.items()}
    scaled = {count: _summary(runs) for count, runs in scale_runs.items()}
    login_rps = one["login page"]["rps"]
    out = []
    for kind, figures in one.items():
        out.append(
            _row(
                f"{kind}, 1 server, {clients} clients: requests/s (p50 ms, p99 ms)",
                f"{figures['rps']:.1f} ({figures['p50']:.1f}, {figures['p99']:.1f});"
                f" rounds {', '.join(f'{r:.0f}' for r in figures['per_round_rps'])}",
            )
        )
    for kind in ("ping", "single check"):
        out.append(
            _row(
                f"{kind} requests/s / login page requests/s",
                f"{one[kind]['rps'] / login_rps:.2f}x",
            )
        )
    for count, figures in scaled.items():
        out.append(
            _row(
                f"checks and pings, {count} server(s), {clients} clients: requests/s"
                " (p50 ms, p99 ms)",
                f"{figures['rps']:.1f} ({figures['p50']:.1f}, {figures['p99']:.1f});"
                f" rounds {', '.join(f'{r:.0f}' for r in figures['per_round_rps'])}",
            )
        )
    out.append(
        _row("2 servers / 1 server, requests/s", f"{scaled[2]['rps'] / scaled[1]['rps']:.2f}x")
    )
    load_avg = os.getloadavg()
    out.append(
        _row(
            "load average (1, 5, 15 min) at the end, CPUs",
            f"{load_avg[0]:.1f}, {load_avg[1]:.1f}, {load_avg[2]:.1f}; {os.cpu_count()}",
        )
    )
    return out


def _row(metric, value) -> dict:
    return {"benchmark": NAME, "metric": metric, "value": value, "target": "", "met": None}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.api_load")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=100, help="per client per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--people", type=int, default=10_000, help="10,000: the medium plant")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    vendor = _plant.prepare(NAME, args.people)
    rows = measure(args.clients, args.requests, args.rounds)
    for row in rows:
        row["benchmark"] = f"{NAME} ({vendor})"
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            print(f"| {row['metric']} | {row['value']} |")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
