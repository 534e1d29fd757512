"""What the user running a report may read: the existing query functions (U2 client
restriction, P15 own-records reach), or everything for the command line run without
--user (the system, like `qualify qualified`). Reports read through these only."""

from typing import Any

from django.db.models import QuerySet

from qualify.accounts import policy
from qualify.documents import queries as document_queries
from qualify.documents.models import Document, DocumentVersion
from qualify.org import queries as org_queries
from qualify.org.models import JobAssignment, Person
from qualify.quality import queries as quality_queries
from qualify.quality.models import Execution
from qualify.training import queries as training_queries
from qualify.training.models import Assignment, Requirement, TrainingRecord


def people(user: Any, rule: policy.Rule) -> QuerySet[Person]:
    """The people whose reports `user` may run under `rule`: everyone they may see
    when the rule reads all, themselves when it gives them their own only."""
    if user is None:
        return Person.objects.select_related("site", "department", "user")
    return policy.only_own(org_queries.people(user), user, rule, person="")


def documents(user: Any) -> QuerySet[Document]:
    return Document.objects.all() if user is None else document_queries.documents(user)


def versions(user: Any) -> QuerySet[DocumentVersion]:
    if user is None:
        return DocumentVersion.objects.select_related("document", "author")
    return document_queries.versions(user)


def records(user: Any) -> QuerySet[TrainingRecord]:
    if user is None:
        return TrainingRecord.objects.select_related(
            "person", "requirement", "document_version__document", "trainer"
        )
    return training_queries.training_records(user)


def assignments(user: Any) -> QuerySet[Assignment]:
    if user is None:
        return Assignment.objects.select_related("person", "requirement")
    return training_queries.visible_assignments(user)


def job_assignments(user: Any) -> QuerySet[JobAssignment]:
    if user is None:
        return JobAssignment.objects.select_related("job_function", "person")
    return org_queries.job_assignments(user)


def executions(user: Any) -> QuerySet[Execution]:
    if user is None:
        return Execution.objects.select_related("client", "person", "site")
    return quality_queries.executions(user)


def requirements(user: Any) -> QuerySet[Requirement]:
    if user is None:
        return Requirement.objects.select_related("document", "client")
    return training_queries.requirements(user)
