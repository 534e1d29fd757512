"""A plant built through the real org, documents and training services, for the
training service tests."""

import datetime as dt
import itertools

from django.utils import timezone

from qualify.accounts import roles
from qualify.audit.models import AuditEvent
from qualify.audit.registry import object_type_of
from qualify.documents import services as documents
from qualify.org import services as org
from qualify.signatures.services import Credentials
from qualify.training import services as training
from qualify.training.models import Assignment, AssignmentStatus, Method
from tests.personas import PASSWORD, make_user

DAY = dt.timedelta(days=1)


def creds(user, password: str = PASSWORD) -> Credentials:
    return Credentials(username=user.username, password=password)


def events_of(obj, action: str | None = None) -> list[AuditEvent]:
    rows = AuditEvent.objects.filter(object_type=object_type_of(obj), object_id=str(obj.pk))
    if action:
        rows = rows.filter(action=action)
    return list(rows.order_by("seq"))


def open_assignments(**filters) -> list[Assignment]:
    return list(Assignment.objects.filter(status=AssignmentStatus.OPEN, **filters).order_by("pk"))


class Plant:
    def __init__(self, *, admin, coordinator, doc_controller, qa, trainer) -> None:
        self.admin, self.coordinator, self.doc_controller, self.qa = (
            admin,
            coordinator,
            doc_controller,
            qa,
        )
        self.trainer_user = trainer
        self._n = itertools.count(1)
        self.site = org.site_create(
            actor=admin, code="DUB", name="Dublin plant", late_entry_hours=72
        )
        self.operators = self.job_function("OP", "Filling operator")
        self.reviewer = make_user("reviewer", roles.EMPLOYEE, roles.DOCUMENT_CONTROLLER)

    # --- organisation ----------------------------------------------------------------------

    def job_function(self, code: str, name: str = "", site=None):
        return org.job_function_create(
            actor=self.coordinator, code=code, name=name or code, site=site or self.site
        )

    def person(
        self, name: str = "Operator", *, user=None, job_function=None, since=None, site=None
    ):
        n = next(self._n)
        if user is None:
            user = make_user(
                f"{name.lower().replace(' ', '_')}_{n}", roles.EMPLOYEE, printed_name=name
            )
        person = org.person_create(
            actor=self.coordinator,
            employee_number=f"E{n:05d}",
            full_name=f"{name} {n}",
            site=site or self.site,
            user=user,
        )
        if job_function is not None:
            self.hold(person, job_function, since=since)
        return person

    def hold(self, person, job_function, *, since=None):
        return org.job_assignment_start(
            actor=self.coordinator,
            person=person,
            job_function=job_function,
            valid_from=since or timezone.now() - DAY,
        )

    # --- documents -----------------------------------------------------------------------------

    def document(self, number: str, *, effective_from=None, client=None):
        """A document with revision 1 approved and in force (from yesterday by default)."""
        document = documents.document_create(
            actor=self.doc_controller,
            number=number,
            title=f"Procedure {number}",
            doc_type="sop",
            owner=self.doc_controller,
            site=self.site,
            client=client,
        )
        self.revise(document, "1", effective_from=effective_from or timezone.now() - DAY)
        return document

    def draft(self, document, revision: str, *, retraining_required: bool = True):
        version = documents.version_draft(
            actor=self.doc_controller,
            document=document,
            revision=revision,
            change_summary=f"Revision {revision}",
            content_text=f"{document.number} revision {revision}",
            retraining_required=retraining_required,
            editorial_justification="" if retraining_required else "Typo fixed",
        )
        documents.version_submit(
            actor=self.doc_controller, version=version, credentials=creds(self.doc_controller)
        )
        documents.version_review(
            actor=self.reviewer, version=version, credentials=creds(self.reviewer)
        )
        return version

    def approve(self, version, *, effective_from=None, exception: str = ""):
        backdated = effective_from is not None and effective_from < timezone.now()
        return documents.version_approve(
            actor=self.qa,
            version=version,
            credentials=creds(self.qa),
            effective_from=effective_from,
            reason="Backdated in test" if backdated else "",
            window_exception_reason=exception,
        )

    def revise(self, document, revision: str, *, effective_from=None, exception: str = "", **kw):
        return self.approve(
            self.draft(document, revision, **kw), effective_from=effective_from, exception=exception
        )

    # --- training ----------------------------------------------------------------------------

    def requirement(self, code: str, *, method=Method.READ_AND_UNDERSTAND, **kw):
        return training.requirement_create(
            actor=self.coordinator, code=code, title=f"Training {code}", method=method, **kw
        )

    def matrix(self, requirement=None, job_function=None, *, curriculum=None, **kw):
        kw.setdefault("reason", "Operators perform this procedure")
        return training.matrix_entry_add(
            actor=self.coordinator,
            job_function=job_function or self.operators,
            requirement=requirement,
            curriculum=curriculum,
            qa_actor=self.qa,
            qa_credentials=creds(self.qa),
            **kw,
        )

    def read(self, person, requirement=None, *, assignment=None):
        return training.record_read_and_understood(
            actor=person.user,
            person=None if assignment else person,
            requirement=None if assignment else requirement,
            assignment=assignment,
            credentials=creds(person.user),
        )

    def qualified_trainer(self, code: str = "TTT"):
        """The trainer persona as a person holding an external train-the-trainer certificate."""
        from django.core.files.base import ContentFile

        trainer = self.person("Trainer", user=self.trainer_user)
        certificate = self.requirement(code, method=Method.EXTERNAL)
        training.record_external(
            actor=self.trainer_user,
            person=trainer,
            requirement=certificate,
            completed_at=timezone.now() - 30 * DAY,
            evidence_file=ContentFile(b"certificate", name="ttt.pdf"),
            credentials=creds(self.trainer_user),
        )
        return trainer, certificate
