"""A small plant built through the real services, as a QA person meets it."""

import datetime as dt
import itertools

from django.utils import timezone

from qualify.accounts import roles
from qualify.documents import services as documents
from qualify.org import services as org
from qualify.signatures.services import Credentials
from qualify.training import services as training
from qualify.training.models import Assignment, AssignmentStatus, Method
from tests.personas import PASSWORD, make_user


def creds(user) -> Credentials:
    return Credentials(username=user.username, password=PASSWORD)


class Plant:
    def __init__(self, *, admin, coordinator, doc_controller, qa, gate_policy="refuse"):
        self.admin, self.coordinator, self.doc_controller, self.qa = (
            admin,
            coordinator,
            doc_controller,
            qa,
        )
        self._n = itertools.count(1)
        self.site = org.site_create(
            actor=admin, code="DUB", name="Dublin plant", gate_policy=gate_policy
        )
        self.operators = org.job_function_create(
            actor=coordinator, code="OP", name="Manufacturing operator", site=self.site
        )

    # --- people ----------------------------------------------------------------------

    def person(self, name: str, *, manager=None, job_function=None, since=None, employed_from=None):
        """Employed for a year unless told otherwise (E5: work is attested only within
        the employment)."""
        n = next(self._n)
        username = f"{name.lower().replace(' ', '_')}_{n}"
        user = make_user(username, roles.EMPLOYEE, printed_name=name)
        person = org.person_create(
            actor=self.coordinator,
            employee_number=f"E{n:04d}",
            full_name=name,
            site=self.site,
            email=f"{username}@plant.example",
            manager=manager,
            user=user,
            employed_from=employed_from or timezone.now() - dt.timedelta(days=365),
        )
        if job_function is not None:
            org.job_assignment_start(
                actor=self.coordinator,
                person=person,
                job_function=job_function,
                valid_from=since or timezone.now() - dt.timedelta(days=1),
            )
        return person

    def operator_crew(self, count: int, *, prefix: str = "Operator"):
        return [self.person(f"{prefix} {i:02d}", job_function=self.operators) for i in range(count)]

    # --- documents -------------------------------------------------------------------

    def document(self, number: str, title: str = "Procedure"):
        return documents.document_create(
            actor=self.doc_controller,
            number=number,
            title=title,
            doc_type="sop",
            owner=self.doc_controller,
            site=self.site,
        )

    def revise(self, document, revision: str, *, effective_from=None, exception=""):
        """Draft, submit, review and approve a revision (G3 fires on approval)."""
        version = documents.version_draft(
            actor=self.doc_controller,
            document=document,
            revision=revision,
            change_summary=f"Revision {revision}",
            content_text=f"{document.number} rev {revision}",
        )
        version = documents.version_submit(
            actor=self.doc_controller, version=version, credentials=creds(self.doc_controller)
        )
        version = documents.version_review(
            actor=self.reviewer, version=version, credentials=creds(self.reviewer)
        )
        return version

    @property
    def reviewer(self):
        """S2: a second QA approver reviews, so that `qa` may approve."""
        if not hasattr(self, "_reviewer"):
            self._reviewer = make_user("qa_reviewer", roles.QA_APPROVER, printed_name="Rita Review")
        return self._reviewer

    def approve(self, version, *, effective_from=None, exception=""):
        return documents.version_approve(
            actor=self.qa,
            version=version,
            credentials=creds(self.qa),
            effective_from=effective_from,
            window_exception_reason=exception,
            reason="Backdated for the scenario"
            if effective_from and effective_from < timezone.now()
            else "",
        )

    # --- training --------------------------------------------------------------------

    def requirement(self, code: str, *, document=None, method=Method.READ_AND_UNDERSTAND, **kw):
        return training.requirement_create(
            actor=self.coordinator, code=code, title=code, method=method, document=document, **kw
        )

    def matrix(self, requirement, job_function=None, *, window_days=30):
        return training.matrix_entry_add(
            actor=self.coordinator,
            job_function=job_function or self.operators,
            requirement=requirement,
            window_days=window_days,
            reason="Operators run this SOP",
            qa_actor=self.qa,
            qa_credentials=creds(self.qa),
        )

    def open_assignment(self, person, requirement):
        return Assignment.objects.get(
            person=person, requirement=requirement, status=AssignmentStatus.OPEN
        )

    def complete(self, person, requirement, *, score=None):
        """The trainee signs: read and understood, or an assessment with a score."""
        user = person.user
        if score is not None:
            return training.record_assessment(
                actor=user,
                person=person,
                requirement=requirement,
                score=score,
                credentials=creds(user),
            )
        return training.record_read_and_understood(
            actor=user,
            credentials=creds(user),
            assignment=self.open_assignment(person, requirement),
        )

    def observe(self, person, requirement, trainer):
        """On the job: the trainer observed the practical (both sign)."""
        return training.record_on_the_job(
            actor=trainer.user,
            trainee=person,
            requirement=requirement,
            attested_at=timezone.now(),
            trainee_credentials=creds(person.user),
            trainer_credentials=creds(trainer.user),
        )

    def qualified_trainer(self, user):
        """Tom Trainer, the user's person, qualified by an external train-the-trainer
        certificate recorded 30 days ago; returns the person and that requirement."""
        from django.core.files.base import ContentFile

        tom = org.person_create(
            actor=self.coordinator,
            employee_number="T0001",
            full_name="Tom Trainer",
            site=self.site,
            user=user,
        )
        ttt = self.requirement("TTT", method=Method.EXTERNAL)
        training.record_external(
            actor=user,
            person=tom,
            requirement=ttt,
            completed_at=timezone.now() - dt.timedelta(days=30),
            evidence_file=ContentFile(b"certificate", name="ttt.pdf"),
            credentials=creds(user),
        )
        return tom, ttt
