"""Reads of the reports app: the registry for a user, their background exports, and
the audit events a user may read (shared by the audit-trail report, the API's audit
list and the audit-trail pages, so the client restriction is written once)."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from qualify.accounts import policy
from qualify.audit.models import AuditEvent
from qualify.documents import queries as document_queries
from qualify.org import queries as org_queries
from qualify.org.scoping import restricted_clients
from qualify.quality import queries as quality_queries
from qualify.reports import registry
from qualify.reports.models import ReportExport
from qualify.training import queries as training_queries


def rule_of(name: str) -> policy.Rule:
    """Who may run a report (declared in the access policy table)."""
    return policy.REPORT_RULES.get(name, policy.REPORTS)


def reports_for(user: Any) -> list[registry.Report]:
    """The reports `user` may run (at any reach)."""
    return [r for r in registry.all_reports() if policy.reach(user, rule_of(r.name)) is not None]


def exports(user: Any) -> QuerySet[ReportExport]:
    """A user's own background exports only: a file is handed to whoever asked for it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ReportExport.objects.none()
    return ReportExport.objects.filter(requested_by=user)


# -- the audit trail as private as its records (U2) ----------------------------------


def own_account(user: Any) -> QuerySet:
    """A client-restricted user reads only their own account's trail; others all."""
    rows = get_user_model().objects.all()
    if restricted_clients(user) is None:
        return rows
    return rows.filter(pk=user.pk)


# Which records of each type a user may see, through the same query functions the
# pages and the API use, so a record's audit trail is exactly as private as the record.
# A type missing here is visible only to users without client restriction (fail closed).
VISIBLE: dict[str, Callable[[Any], QuerySet]] = {
    "documents.document": document_queries.documents,
    "documents.documentversion": document_queries.versions,
    "training.requirement": training_queries.requirements,
    "training.assignment": training_queries.visible_assignments,
    "training.trainingrecord": training_queries.training_records,
    "training.matrixentry": training_queries.matrix_entries,
    "org.jobfunction": org_queries.job_functions,
    "org.jobassignment": org_queries.job_assignments,
    "org.person": org_queries.people,
    "org.client": org_queries.clients,
    "accounts.user": own_account,
    "quality.capa": quality_queries.capas,
    "quality.capaaction": quality_queries.capa_actions,
    "quality.effectivenessreview": quality_queries.effectiveness_reviews,
    "quality.deviation": quality_queries.deviations,
    "quality.changecontrol": quality_queries.change_controls,
    "quality.execution": quality_queries.executions,
}


def record_ids(rows: QuerySet) -> QuerySet:
    """The primary keys of `rows` as text, to match AuditEvent.object_id in a subquery."""
    return rows.order_by().annotate(key=Cast("pk", CharField())).values("key")


def audit_events(user: Any) -> QuerySet[AuditEvent]:
    """The audit events `user` may read: every event for a reader without client
    restriction (and for the command line, user None); for a client-restricted reader
    (U2) the events of the records VISIBLE gives them, nothing of any other type.

    The one restriction of the trail: the audit-trail report and the API's audit list
    both start from it (tests/reports/test_trail_sharing.py)."""
    rows = AuditEvent.objects.all()
    if user is None or restricted_clients(user) is None:
        return rows
    visible = Q(pk__in=[])
    for object_type, query in VISIBLE.items():
        visible |= Q(object_type=object_type, object_id__in=record_ids(query(user)))
    return rows.filter(visible)
