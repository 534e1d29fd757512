"""Compliance [compliance]: Q6 (no assignment open past its due date) counted by site,
department, job function (held at T), framework (of the job functions held at T) and
client (of the requirements assigned by T, judged on that client's assignments), now or
at an instant, with the people behind each figure. The figures are GROUP BY queries
over the same rows the people are listed from, so a figure and its people agree."""

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from qualify.reports import scope
from qualify.reports.queries import rule_of
from qualify.reports.registry import AT, CITE, ZONE, Column, Param, Report, ReportRequest, register
from qualify.training.engine.required import effective_dated, overdue_at
from qualify.training.queries import people_at

DIMENSIONS = ("site", "department", "job_function", "framework", "client")
LABELS = {
    "site": "Site",
    "department": "Department",
    "job_function": "Job function",
    "framework": "Framework",
    "client": "Client",
}


def _employed(request: ReportRequest) -> QuerySet:
    visible = scope.people(request.user, rule_of(Compliance.name))
    return people_at(request.at).filter(pk__in=visible.values("pk"))


def _late(request: ReportRequest, person_ref: str, **match: Any) -> Exists:
    late = scope.assignments(request.user).filter(overdue_at(request.at))
    return Exists(late.filter(person_id=OuterRef(person_ref), **match))


def _who(rows: QuerySet, prefix: str) -> QuerySet:
    return rows.annotate(
        name=F(f"{prefix}full_name"),
        number=F(f"{prefix}employee_number"),
        zone=F(f"{prefix}site__time_zone"),
    )


def grouped(request: ReportRequest, dimension: str) -> QuerySet:
    """Rows (group, member, late; name, number, zone) of one dimension: one per
    person and group."""
    at = request.at
    employed = _employed(request)
    if dimension in ("site", "department"):
        rows = employed.annotate(group=F(f"{dimension}__name"), member=F("pk"))
        return _who(rows.annotate(late=_late(request, "pk")), "")
    if dimension in ("job_function", "framework"):
        held = scope.job_assignments(request.user).filter(
            effective_dated(at, None), person__in=employed
        )
        field = (
            "job_function__name"
            if dimension == "job_function"
            else ("job_function__frameworks__code")
        )
        held = held.filter(**{f"{field}__isnull": False})
        rows = held.annotate(group=F(field), member=F("person_id"))
        return _who(rows.annotate(late=_late(request, "person_id")), "person__")
    # client: the clients whose requirements were assigned to the person by T.
    assigned = scope.assignments(request.user).filter(
        created_at__lte=at, person__in=employed, requirement__client__isnull=False
    )
    rows = assigned.annotate(group=F("requirement__client__name"), member=F("person_id"))
    late = _late(request, "person_id", requirement__client_id=OuterRef("requirement__client_id"))
    return _who(rows.annotate(late=late), "person__")


def figures(request: ReportRequest, dimension: str) -> list[tuple[str, int, int]]:
    """(group, people, compliant) by one GROUP BY query."""
    rows = (
        grouped(request, dimension)
        .order_by()
        .values("group")
        .annotate(
            people=Count("member", distinct=True),
            compliant=Count("member", distinct=True, filter=Q(late=False)),
        )
        .order_by("group")
    )
    return [(r["group"] or "(none)", r["people"], r["compliant"]) for r in rows]


@register
class Compliance(Report):
    name = "compliance"
    title = "Compliance"
    question = (
        "How many people were compliant (no training open past its due date) by site, "
        "department, job function, framework and client, and who are they?"
    )
    params = (
        AT,
        Param(
            "by",
            "By",
            "text",
            help="site, department, job_function, framework or client; default all five.",
        ),
    )
    columns = (
        Column("dimension", "Dimension", doc="site, department, job_function, framework, client"),
        Column("group", "Group", doc="The site, department, job function, framework or client"),
        Column("person", "Person"),
        Column("employee_number", "Employee number"),
        Column("compliant", "Compliant", "bool", "No assignment open past its due date (Q6)"),
    )
    large = 5000

    def prepare(self, request: ReportRequest) -> None:
        from qualify.reports.params import BadParameters

        by = (request.params.get("by") or "").strip().lower().replace("-", "_")
        if by and by not in DIMENSIONS:
            raise BadParameters({"by": f"Choose one of: {', '.join(DIMENSIONS)}."})
        request.context["dimensions"] = (by,) if by else DIMENSIONS

    def estimate(self, request: ReportRequest) -> int:
        return _employed(request).count() * len(request.context["dimensions"])

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        out = []
        for dimension in request.context["dimensions"]:
            for group, people, compliant in figures(request, dimension):
                rate = f"{100 * compliant / people:.0f}%" if people else "-"
                out.append(
                    (f"{LABELS[dimension]}: {group}", f"{compliant} of {people} compliant ({rate})")
                )
        return out

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        for dimension in request.context["dimensions"]:
            rows = (
                grouped(request, dimension)
                .order_by()
                .values_list("group", "member", "name", "number", "zone", "late")
                .distinct()
                .order_by("group", "name", "member")
            )
            for group, person_id, name, number, zone, late in rows.iterator(chunk_size=2000):
                yield {
                    "dimension": dimension,
                    "group": group or "(none)",
                    "person": name,
                    "employee_number": number,
                    "compliant": not late,
                    ZONE: zone or "UTC",
                    CITE: ("org.person", person_id),
                }
