"""Cost of auditing a change: services.record versus a plain INSERT of the same row.

    python -m bench.audit_append [--events N] [--json]

Both sides run in the same process against the same database (var/bench/audit_append
.sqlite3, or BENCH_DATABASE_URL), each event in its own transaction, as a service does:

* record: `services.record("account.updated", user, before=..., reason=...)`: canonical
  state and diff, record hash (format 2: RFC 8785 JSON of the state with the user's
  security state: roles, client access, password hash, authenticators), chain lock,
  reading the last chain hash, entry (RFC 8785) and chain hash, the event's MAC, INSERT;
* plain: the very rows `record` wrote, INSERTed as they are into a twin table with the
  same columns and indexes and no triggers.

Best of five rounds run in turn. Target: record at most 3x the plain INSERT. Wall time
and the process's CPU time are both reported: on a machine shared with other work the
wall time mostly measures the wait for a CPU (on PostgreSQL, CPU time leaves out the
server's share, so there the wall time is the figure).
"""

import argparse
import json
import os
import sys
import time

from bench import _django

NAME = "audit_append"
TARGET_RATIO = 3.0
COLUMNS = (
    "seq, recorded_at, actor_id, action, object_type, object_id, request_id, record_hash,"
    " entry, chain_hash, mac"
)


def _twin_table(cursor, vendor: str) -> None:
    time_type = "timestamp with time zone" if vendor == "postgresql" else "datetime"
    cursor.execute("DROP TABLE IF EXISTS bench_plain_event")
    cursor.execute(
        "CREATE TABLE bench_plain_event (seq bigint NOT NULL PRIMARY KEY,"
        f" recorded_at {time_type} NOT NULL, actor_id bigint NULL,"
        " action varchar(100) NOT NULL, object_type varchar(100) NOT NULL,"
        " object_id varchar(64) NOT NULL, request_id varchar(64) NOT NULL,"
        " record_hash varchar(64) NOT NULL, entry text NOT NULL, chain_hash varchar(64) NOT NULL,"
        " mac varchar(100) NULL)"
    )
    cursor.execute(
        "CREATE INDEX bench_plain_object ON bench_plain_event (object_type, object_id, seq)"
    )
    cursor.execute("CREATE INDEX bench_plain_action ON bench_plain_event (action, seq)")
    cursor.execute("CREATE INDEX bench_plain_time ON bench_plain_event (recorded_at)")


def main(argv: list[str]) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_append")
    parser.add_argument("--events", type=int, default=2000, help="events per round")
    parser.add_argument("--quick", action="store_true", help="500 events per round")
    parser.add_argument("--runs", type=int, default=5, help="rounds; the best is kept")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    events = 500 if args.quick else args.events

    # This trail's own checkpoint log (the key in var/bench is shared by the benchmarks).
    os.environ["QUALIFY_CHECKPOINT_LOG"] = str(_django.BENCH_DIR / f"{NAME}-checkpoints.log")
    vendor = _django.setup(NAME)
    from django.db import connection, transaction

    from qualify.accounts.models import User
    from qualify.audit import services as audit
    from qualify.audit.context import audit_context

    with connection.cursor() as cursor:
        _twin_table(cursor, vendor)
    user = User.objects.filter(username="bench").first()
    if user is None:
        from qualify.accounts.services import user_create

        user = user_create(actor=None, username="bench", printed_name="Bench Mark")
    before = audit.state_of(user)
    user.printed_name = "Bench Mark II"  # the change each event describes

    def record_round() -> list[int]:
        seqs = []
        with audit_context(source="cli"):
            for _ in range(events):
                with transaction.atomic():
                    seqs.append(
                        audit.record(
                            "account.updated", user, actor=None, before=before, reason="bench"
                        )
                    )
        return seqs

    pending: list[list[tuple]] = []

    def plain_round() -> None:
        rows = pending.pop()
        for row in rows:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO bench_plain_event ({COLUMNS}) VALUES"
                    " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    row,
                )

    best_record = best_plain = cpu_record = cpu_plain = float("inf")
    for _ in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        seqs = record_round()
        best_record = min(best_record, time.perf_counter() - start)
        cpu_record = min(cpu_record, time.process_time() - start_cpu)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {COLUMNS} FROM audit_event WHERE seq BETWEEN %s AND %s ORDER BY seq",
                [seqs[0], seqs[-1]],
            )
            pending.append(cursor.fetchall())
        start, start_cpu = time.perf_counter(), time.process_time()
        plain_round()
        best_plain = min(best_plain, time.perf_counter() - start)
        cpu_plain = min(cpu_plain, time.process_time() - start_cpu)

    ratio = best_record / best_plain
    ratio_cpu = cpu_record / cpu_plain
    per_record = best_record / events * 1e6
    per_plain = best_plain / events * 1e6
    rows = [
        {"metric": "events per round (own transaction each)", "value": f"{events:,}"},
        {
            "metric": "services.record",
            "value": f"{per_record:,.0f} µs/event ({events / best_record:,.0f}/s)",
        },
        {
            "metric": "plain INSERT of the same row",
            "value": f"{per_plain:,.0f} µs/event ({events / best_plain:,.0f}/s)",
        },
        {
            "metric": "record / plain INSERT, wall time",
            "value": f"{ratio:.2f}x",
            "target": f"<= {TARGET_RATIO:.0f}x",
            "met": ratio <= TARGET_RATIO,
        },
        {
            "metric": "record / plain INSERT, CPU time of the process",
            "value": f"{ratio_cpu:.2f}x ({cpu_record / events * 1e6:,.0f} against"
            f" {cpu_plain / events * 1e6:,.0f} µs/event)",
            "target": f"<= {TARGET_RATIO:.0f}x",
            "met": ratio_cpu <= TARGET_RATIO,
        },
        {
            "metric": "load average (1 min) at the end, CPUs",
            "value": f"{os.getloadavg()[0]:.1f}, {os.cpu_count()}",
        },
    ]
    for row in rows:
        row["benchmark"] = f"{NAME} ({vendor})"
    return rows


if __name__ == "__main__":
    results = main(sys.argv[1:])
    if "--json" in sys.argv:
        print(json.dumps(results))
    else:
        for result in results:
            print(f"{result['metric']}: {result['value']}  {result.get('target', '')}")
