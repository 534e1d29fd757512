import pytest

from qualify.accounts import roles
from qualify.documents import events, services
from qualify.documents.models import DocumentType
from tests.personas import make_user


@pytest.fixture(autouse=True)
def _document_hooks_isolated(monkeypatch):
    """These tests cover the documents layer alone: the training layer's handlers
    are left out, and each test sees only the handlers it connects."""
    for hook in (events.version_approved, events.document_obsoleted):
        monkeypatch.setattr(hook, "_handlers", [])


@pytest.fixture
def reviewer(db):
    return make_user("reviewer", roles.EMPLOYEE, roles.DOCUMENT_CONTROLLER)


@pytest.fixture
def document(doc_controller):
    return services.document_create(
        actor=doc_controller,
        number="SOP-001",
        title="Aseptic filling",
        doc_type=DocumentType.SOP,
        owner=doc_controller,
    )
