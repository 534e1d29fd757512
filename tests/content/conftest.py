import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from qualify.documents import services as documents
from qualify.training.models import Evidence, Method
from tests.content import packages
from tests.training.support import DAY, Plant, creds


class ContentPlant(Plant):
    """The training plant plus e-learning packages, approved through the document
    services like any controlled document."""

    def package_document(self, zip_bytes: bytes, *, title: str = "E-learning", name="pkg.zip"):
        document = documents.document_create(
            actor=self.doc_controller,
            title=title,
            doc_type="package",
            owner=self.doc_controller,
            site=self.site,
        )
        self.package_revision(
            document, "1", zip_bytes, name=name, effective_from=timezone.now() - DAY
        )
        return document

    def package_revision(
        self, document, revision, zip_bytes, *, name="pkg.zip", effective_from=None
    ):
        version = documents.version_draft(
            actor=self.doc_controller,
            document=document,
            revision=revision,
            change_summary=f"Package revision {revision}",
            file=ContentFile(zip_bytes, name=name),
        )
        documents.version_submit(
            actor=self.doc_controller, version=version, credentials=creds(self.doc_controller)
        )
        documents.version_review(
            actor=self.reviewer, version=version, credentials=creds(self.reviewer)
        )
        return self.approve(version, effective_from=effective_from)

    def course(self, zip_bytes: bytes, code: str = "ELP", *, assessed: bool = False):
        """A package, an e-learning requirement on it in the matrix, and an operator
        holding the job (so assigned)."""
        document = self.package_document(zip_bytes)
        extra = {"evidence_required": Evidence.ASSESSMENT, "pass_mark": 80} if assessed else {}
        requirement = self.requirement(code, method=Method.ELEARNING, document=document, **extra)
        self.matrix(requirement)
        learner = self.person("Learner", job_function=self.operators)
        assignment = learner.assignments.get(requirement=requirement)
        return document, requirement, learner, assignment


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa, trainer):
    return ContentPlant(
        admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa, trainer=trainer
    )


@pytest.fixture
def scorm12():
    return packages.scorm12_package()
