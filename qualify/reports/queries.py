"""Reads of the reports app: the registry for a user, and their background exports."""

from typing import Any

from django.db.models import QuerySet

from qualify.accounts import policy
from qualify.reports import registry
from qualify.reports.models import ReportExport


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
