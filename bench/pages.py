"""Every page against the login page, on the medium plant (issue 18).

    python -m bench.pages [--rounds N] [--only TEXT] [--people N] [--rebuild] [--json]

The plant is bench.qualification's medium plant (10,000 people, 2,000 documents),
copied to var/bench/pages.sqlite3 (see bench._plant; BENCH_DATABASE_URL is used in
place). One user per role of U2 is added once (the
employee is a person of the plant, so their own pages show a real history).

Every URL of the URL map that is a page (not /api/, SCIM, OAuth, the identity
provider's redirects, or a logout) is requested with GET by the first role the
access policy (qualify.accounts.policy) lets read it, with its arguments resolved to
objects of the plant; a page whose argument names nothing in the plant is listed as
not measured. The lists people filter are measured filtered too (FILTERED), each
filter its own row, since a filter can take another plan than the whole list.
Requests go through Django's test client in this process (the whole middleware stack,
no HTTP socket), so the figures are server time. Per page: WARM_UPS warm-up GETs (8;
see there why), the first's wall time reported as the page's cold figure (what a page
costs when nothing it remembers is remembered yet), then N timed GETs, each followed
by a timed GET of the login page, so both sides see the same load; median and p99 (nearest
rank: with 20 rounds, the slowest) per page, its ratio to the median of every
login-page GET of the run, the bytes and the queries of one GET. The process's CPU
time (time.process_time) is given beside the wall time: on SQLite the database works
in this process, so on a loaded host the CPU ratio is the fairer one. Target: every
page within 5x the login page.
"""

import argparse
import json
import os
import statistics
import string
import sys
import time

from bench import _plant

NAME = "pages"
TARGET = 5.0
# GETs of a page before it is timed, the first reported as its cold figure. On
# PostgreSQL a statement a connection runs again is prepared at its
# QUALIFY_DB_PREPARE_THRESHOLD-th run (2), and PostgreSQL plans a prepared statement
# with its values for its first five runs before it settles on one plan when that is no
# worse: from a page's eighth view on a connection its statements are no longer planned
# (the employee's assignment page: 15.3-17.7 ms for views 2-7, median 11.4 ms for views
# 9-16). The timed GETs measure that steady state, which a server's kept connections
# reach after a page's first few views; --warm-ups 1 measures views 2 to N+1 as before.
WARM_UPS = 8
# A page slower than this on its warm-up is timed only SLOW_ROUNDS times.
SLOW_MS = 3000
SLOW_ROUNDS = 3
LOGIN = "login"
SKIPPED_PREFIXES = ("api/", "scim/", "oauth/", "identity/")
SKIPPED_NAMES = {"logout", LOGIN}
# Lists measured filtered too, as their users filter them (values from the plant's
# objects, Objects.by_model): a filter can take another plan than the whole list (the
# assignments of one job function took 730 ms at a594e09, the whole list 16 ms).
FILTERED = {
    "web:coordinator_assignments": (
        "job_function={job_function}",
        "site={site}",
        "department={department}",
        "status=open&overdue=yes",
    ),
    "web:coordinator_matrix": (
        "site={site}",
        "department={department}",
        "framework={framework}",
        "job_function={job_function}",
    ),
    "web:documents": ("q=SOP-0001", "type=sop", "page=2"),
    "web:org_people": ("q=Person+1", "page=2"),
    "web:admin_users": ("q=bench",),
}
# The order in which roles are tried for a page: the widest readers first, so a page
# is measured with the most it can show.
ROLE_ORDER = ("coordinator", "qa", "doc_controller", "auditor", "trainer", "admin", "employee")


def _personas() -> dict:
    """One signed-in user per role of U2, made once through the services."""
    from django.utils import timezone

    from qualify.accounts import roles
    from qualify.accounts.models import User
    from qualify.accounts.services import user_create, user_set_roles
    from qualify.audit import services as audit
    from qualify.audit.context import audit_context
    from qualify.org.models import Person

    wanted = {
        "coordinator": (roles.EMPLOYEE, roles.COORDINATOR),
        "qa": (roles.EMPLOYEE, roles.QA_APPROVER),
        "doc_controller": (roles.EMPLOYEE, roles.DOCUMENT_CONTROLLER),
        "auditor": (roles.AUDITOR,),
        "trainer": (roles.EMPLOYEE, roles.TRAINER),
        "admin": (roles.ADMINISTRATOR,),
    }
    users = {}
    with audit_context(source="cli"):
        for name, role_names in wanted.items():
            username = f"bench-{name}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    actor=None,
                    username=username,
                    printed_name=f"Bench {name}",
                    email=f"{username}@bench.example",
                    password=None,
                    roles=list(role_names),
                )
                _verified(user, audit, timezone)
            users[name] = user
        # The employee: the plant's person with the most records, signed in as is.
        person = (
            Person.objects.filter(user__isnull=False)
            .order_by("-pk")
            .exclude(user__username__startswith="bench-")
            .first()
        )
        employee = person.user
        if not employee.groups.filter(name=roles.EMPLOYEE).exists():
            user_set_roles(
                actor=users["admin"],
                user=employee,
                roles=[roles.EMPLOYEE],
                reason="Benchmark: the plant's employee signs in",
            )
            _verified(employee, audit, timezone)
        users["employee"] = User.objects.get(pk=employee.pk)
    return users


def _verified(user, audit, timezone) -> None:
    """Identity verified and e-signature policy acknowledged, audited, so the pages do
    not send the user to the acknowledgement first."""
    from qualify.accounts.models import User

    before = audit.state_of(user)
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(identity_verified_at=now, esig_acknowledged_at=now)
    user.refresh_from_db()
    audit.record(
        "account.identity.verified",
        user,
        actor=None,
        before=before,
        reason="Benchmark persona: identity verified and e-signature policy acknowledged",
    )


def _page_patterns():
    """(route, name, parameter names) of every page of the URL map."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace + (f"{p.namespace}:" if p.namespace else "")
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route, name = prefix + str(p.pattern), namespace + (p.name or "")
                yield route, name, list(p.pattern.converters)

    return sorted(
        (route, name, params)
        for route, name, params in walk(get_resolver().url_patterns)
        if not route.startswith(SKIPPED_PREFIXES) and name not in SKIPPED_NAMES
    )


class Objects:
    """The plant's objects a page's arguments can name, looked up once."""

    def __init__(self, employee):
        from qualify.assessments.models import Assessment, Attempt
        from qualify.documents.models import Document, DocumentVersion
        from qualify.org.models import Client, Department, Framework, JobFunction, Person, Site
        from qualify.quality.models import Capa, ChangeControl, Deviation, Execution
        from qualify.reports.models import ReportExport
        from qualify.training.models import (
            Assignment,
            Curriculum,
            MatrixEntry,
            Requirement,
            TrainingRecord,
        )

        own = Person.objects.filter(user=employee).first()
        document = Document.objects.order_by("pk").first()
        self.document_number = document.number if document else None
        version = DocumentVersion.objects.filter(document=document).order_by("-sequence").first()
        first = lambda queryset: getattr(queryset.order_by("pk").first(), "pk", None)  # noqa: E731
        person = first(Person.objects.filter(user__isnull=False))
        self.by_model = {
            "person": person,
            "own_assignment": first(Assignment.objects.filter(person=own)),
            "own_record": first(TrainingRecord.objects.filter(person=own)),
            "record": first(TrainingRecord.objects.all()),
            "assignment": first(Assignment.objects.all()),
            "version": getattr(version, "pk", None),
            "job_function": first(JobFunction.objects.all()),
            "matrix_entry": first(MatrixEntry.objects.all()),
            "site": first(Site.objects.all()),
            "department": first(Department.objects.all()),
            "framework": first(Framework.objects.all()),
            "client": first(Client.objects.all()),
            "curriculum": first(Curriculum.objects.all()),
            "requirement": first(Requirement.objects.all()),
            "user": employee.pk,
            "bank": first(Assessment.objects.all()),
            "attempt": first(Attempt.objects.all()),
            "capas": first(Capa.objects.all()),
            "deviations": first(Deviation.objects.all()),
            "change-controls": first(ChangeControl.objects.all()),
            "export": first(ReportExport.objects.all()),
        }
        batch = Execution.objects.order_by("pk").values_list("batch", flat=True).first()
        self.batch = batch

    # The model a page's pk names, by the start of its URL name.
    PK_OF = (
        ("web:admin_user", "user"),
        ("web:coordinator_assignment", "assignment"),
        ("web:coordinator_matrix_end", "matrix_entry"),
        ("web:coordinator_person", "person"),
        ("web:coordinator_onboarding", "person"),
        ("web:coordinator_record", "record"),
        ("web:coordinator_curriculum", "curriculum"),
        ("web:document_version", "version"),
        ("web:employee_assignment", "own_assignment"),
        ("web:employee_elearning_read", "own_assignment"),
        ("web:employee_record", "own_record"),
        ("web:inspector_transcript", "person"),
        ("web:org_client", "client"),
        ("web:org_department", "department"),
        ("web:org_framework", "framework"),
        ("web:org_job_function", "job_function"),
        ("web:org_person", "person"),
        ("web:org_site", "site"),
        ("web:assessment_bank", "bank"),
        ("web:assessment_statistics", "bank"),
        ("web:assessment_edit", "bank"),
        ("web:assessment_attempt", "attempt"),
        ("web:quality_capa", "capas"),
        ("web:quality_cc", "change-controls"),
        ("web:report_export", "export"),
    )

    def kwargs_for(self, name: str, params: list[str]) -> list[dict] | None:
        """The argument sets to request the page with, or None if the plant holds
        nothing for them."""
        if not params:
            return [{}]
        if "kind" in params:
            sets = [
                {"kind": kind, "pk": self.by_model[kind]}
                for kind in ("capas", "deviations", "change-controls")
                if self.by_model[kind]
            ]
            if "pk" not in params:
                sets = [{"kind": kind} for kind in ("capas", "deviations", "change-controls")]
            return sets or None
        if params == ["number"]:
            return [{"number": self.document_number}] if self.document_number else None
        if params == ["batch"]:
            return [{"batch": self.batch}] if self.batch else None
        if params == ["requirement_pk"]:
            return [{"requirement_pk": self.by_model["requirement"]}]
        if params == ["pk"]:
            for prefix, model in self.PK_OF:
                if name.startswith(prefix) and self.by_model.get(model):
                    return [{"pk": self.by_model[model]}]
        return None


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def measure(
    rounds: int, only: str | None = None, warm_ups: int = WARM_UPS
) -> tuple[list[dict], dict]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from qualify.accounts import policy

    users = _personas()
    objects = Objects(users["employee"])
    clients = {}

    def client_for(persona):
        if persona not in clients:
            clients[persona] = Client()
            if persona != "anonymous":
                clients[persona].force_login(users[persona])
        return clients[persona]

    anonymous = client_for("anonymous")
    login_url = reverse(LOGIN)
    login_times, login_cpu = [], []

    def timed_get(client, url):
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(1)
            return execute(sql, params, many, context)

        start, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(count):
            response = client.get(url)
            body = b"".join(response) if response.streaming else response.content
        wall = (time.perf_counter() - start) * 1000
        cpu = (time.process_time() - cpu) * 1000
        return wall, response.status_code, len(body), len(queries), cpu

    for _ in range(5):  # warm up the login page and the process
        timed_get(anonymous, login_url)
    pages, not_measured = [], []
    for route, name, params in _page_patterns():
        if only and only not in name and only not in route:
            continue
        sets = objects.kwargs_for(name, params)
        if sets is None:
            not_measured.append({"page": name, "route": route, "why": "no object in the plant"})
            continue
        for kwargs in sets:
            rule = policy.rule_for(name, kwargs)
            if rule.token:
                continue
            if rule.public:
                persona = "anonymous"
            elif route.startswith("employee/") and policy.may(users["employee"], rule, "GET"):
                # The employee's own pages name the employee's own objects.
                persona = "employee"
            else:
                persona = next(
                    (p for p in ROLE_ORDER if policy.reach(users[p], rule) == policy.ALL), None
                ) or next((p for p in ROLE_ORDER if policy.may(users[p], rule, "GET")), None)
            if persona is None:
                not_measured.append({"page": name, "route": route, "why": "no role may GET it"})
                continue
            address = reverse(name, kwargs=kwargs)
            filtered = [
                f"{address}?{q.format(**objects.by_model)}"
                for q in FILTERED.get(name, ())
                if all(objects.by_model.get(f) for _, f, _, _ in string.Formatter().parse(q) if f)
            ]
            for url in (address, *filtered):
                client = client_for(persona)
                warm, status, size, queries, _ = timed_get(client, url)
                if status != 200:
                    why = (
                        "POST only (405)" if status == 405 else f"GET answers {status} to {persona}"
                    )
                    not_measured.append({"page": name, "route": url, "why": why})
                    continue
                # The rest of the warm-up (see WARM_UPS); a slow page is not warmed.
                for _ in range(0 if warm > SLOW_MS else warm_ups - 1):
                    timed_get(client, url)
                times, cpu = [], []
                for _ in range(SLOW_ROUNDS if warm > SLOW_MS else rounds):
                    page = timed_get(client, url)
                    times.append(page[0])
                    cpu.append(page[4])
                    login = timed_get(anonymous, login_url)
                    login_times.append(login[0])
                    login_cpu.append(login[4])
                print(f"{url}: {statistics.median(times):.1f} ms", file=sys.stderr, flush=True)
                pages.append(
                    {
                        "page": name,
                        "url": url,
                        "as": persona,
                        "median_ms": statistics.median(times),
                        "p99_ms": _pct(times, 0.99),
                        "cpu_ms": statistics.median(cpu),
                        "cold_ms": warm,
                        "rounds": len(times),
                        "bytes": size,
                        "queries": queries,
                    }
                )
    login = statistics.median(login_times) if login_times else float("nan")
    cpu = statistics.median(login_cpu) if login_cpu else float("nan")
    for page in pages:
        page["ratio"] = page["median_ms"] / login
        page["cpu_ratio"] = page["cpu_ms"] / cpu
    summary = {
        "login_median_ms": login,
        "login_p99_ms": _pct(login_times, 0.99) if login_times else float("nan"),
        "login_cpu_ms": cpu,
        "login_bytes": timed_get(anonymous, login_url)[2],
        "not_measured": not_measured,
        "load_average": os.getloadavg(),
    }
    return pages, summary


def rows(pages, summary, vendor) -> list[dict]:
    bench = f"{NAME} ({vendor})"
    out = [
        {
            "benchmark": bench,
            "metric": "login page (anonymous GET): median ms (p99 ms), CPU median ms, bytes",
            "value": f"{summary['login_median_ms']:.2f} ({summary['login_p99_ms']:.2f}),"
            f" {summary['login_cpu_ms']:.2f}, {summary['login_bytes']:,}",
            "target": "",
            "met": None,
        }
    ]
    for page in sorted(pages, key=lambda p: -p["ratio"]):
        out.append(
            {
                "benchmark": bench,
                "metric": f"{page['url']} ({page['page']}, as {page['as']})",
                "value": f"{page['ratio']:.1f}x: {page['median_ms']:.1f} ms median,"
                f" {page['p99_ms']:.1f} ms p99; CPU {page['cpu_ms']:.1f} ms,"
                f" {page['cpu_ratio']:.1f}x; {page['bytes']:,} B, {page['queries']} queries;"
                f" cold {page['cold_ms']:.1f} ms",
                "target": f"<= {TARGET:g}x login",
                "met": page["ratio"] <= TARGET,
            }
        )
    over = sum(1 for page in pages if page["ratio"] > TARGET)
    out.append(
        {
            "benchmark": bench,
            "metric": "pages measured, over 5x, not measured",
            "value": f"{len(pages)}, {over}, {len(summary['not_measured'])}",
            "target": "",
            "met": None,
        }
    )
    for skipped in summary["not_measured"]:
        out.append(
            {
                "benchmark": bench,
                "metric": f"not measured: {skipped['route']} ({skipped['page']})",
                "value": skipped["why"],
                "target": "",
                "met": None,
            }
        )
    load = summary["load_average"]
    out.append(
        {
            "benchmark": bench,
            "metric": "load average (1, 5, 15 min) at the end, CPUs",
            "value": f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}; {os.cpu_count()}",
            "target": "",
            "met": None,
        }
    )
    return out


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.pages")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", help="only pages whose URL name or route contains this")
    parser.add_argument("--people", type=int, default=10_000, help="10,000: the medium plant")
    parser.add_argument("--rebuild", action="store_true", help="copy the plant afresh (SQLite)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--warm-ups", type=int, default=WARM_UPS, help="GETs of a page before it is timed"
    )
    args = parser.parse_args(argv)
    vendor = _plant.prepare(NAME, args.people, fresh=args.rebuild)
    if args.warm_ups < 1:
        parser.error("--warm-ups must be at least 1 (the first is the cold figure)")
    pages, summary = measure(args.rounds, args.only, args.warm_ups)
    result = rows(pages, summary, vendor)
    if args.json:
        print(json.dumps(result))
    else:
        for row in result:
            met = {True: "yes", False: "**no**", None: ""}[row["met"]]
            print(f"| {row['metric']} | {row['value']} | {row['target']} | {met} |")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
