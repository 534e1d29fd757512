"""Run by tests/ops/test_streaming_replica.py in a process of its own, with
QUALIFY_DATABASE_URL on a primary PostgreSQL server and QUALIFY_REPLICA_DATABASE_URL on
its streaming standby: builds a small plant on the primary, then asks the compliance
report with the standby's replay paused and again after it resumed. Prints what it saw
as one JSON object."""

import json
import time

import django

django.setup()

from django.db import connections  # noqa: E402

from qualify import replica  # noqa: E402
from qualify.audit.verify import verify_trail  # noqa: E402
from qualify.org.models import Person  # noqa: E402
from qualify.reports import registry, services  # noqa: E402
from tests.personas import PERSONAS, make_user  # noqa: E402
from tests.quality.plant import Plant  # noqa: E402

CATCH_UP_SECONDS = 60


def _one(alias: str, sql: str):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _caught_up() -> None:
    """Wait until the standby has replayed everything the primary has written."""
    target = _one("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while time.monotonic() < deadline:
        if _one(replica.REPLICA, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.1)
    raise SystemExit(f"the standby did not replay {target} within {CATCH_UP_SECONDS} s")


def _people_in_report(user) -> list[str]:
    """The people the compliance report by site lists, read as its pages read it."""
    request = services.report_request("compliance", {"by": "site"}, user=user)
    report = registry.get("compliance")
    with replica.report_reads():
        return sorted(row["person"] for row in report.rows(request))


def main() -> None:
    users = {name: make_user(name, *roles_of) for name, roles_of in PERSONAS.items()}
    plant = Plant(
        admin=users["admin"],
        coordinator=users["coordinator"],
        doc_controller=users["doc_controller"],
        qa=users["qa"],
    )
    for n in range(3):
        plant.person(f"Streamed {n}", job_function=plant.operators)
    _caught_up()
    seen = {"standby_in_recovery": _one(replica.REPLICA, "SELECT pg_is_in_recovery()")}
    seen["report_caught_up"] = _people_in_report(users["auditor"])
    _one(replica.REPLICA, "SELECT pg_wal_replay_pause()::text")
    plant.person("Written while paused", job_function=plant.operators)
    seen["primary_people"] = Person.objects.count()
    seen["standby_people"] = Person.objects.using(replica.REPLICA).count()
    seen["report_paused"] = _people_in_report(users["auditor"])
    _one(replica.REPLICA, "SELECT pg_wal_replay_resume()::text")
    _caught_up()
    seen["report_resumed"] = _people_in_report(users["auditor"])
    seen["trail_verifies"] = verify_trail().ok
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
