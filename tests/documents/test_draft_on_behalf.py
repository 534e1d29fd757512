"""An integration's service account drafts on behalf of the person who wrote the
revision, who then signs it "authored" and submits it (issue 6, item 4)."""

import pytest
from django.core.exceptions import ValidationError

from qualify.accounts import roles
from qualify.accounts.services import user_create
from qualify.documents import services
from qualify.documents.models import DocumentVersion, VersionStatus
from qualify.signatures.services import SignatureRefused
from tests.documents.support import creds
from tests.org.support import audit_events
from tests.personas import make_user


@pytest.fixture
def dms(db):
    """The external document system's service account (what a token acts as)."""
    return user_create(
        actor=None,
        username="api-dms",
        printed_name="API integration dms",
        roles=[roles.DOCUMENT_CONTROLLER],
        is_service_account=True,
    )


def push(dms, document, **kw):
    return services.version_draft(
        actor=dms,
        document=document,
        revision="B",
        change_summary="Pushed by the DMS",
        content_text="Revision B text",
        **kw,
    )


@pytest.mark.requirement("A1", "S1")
def test_a_service_account_drafts_for_a_named_author_who_can_submit(dms, doc_controller, document):
    version = push(dms, document, author=doc_controller)
    assert version.author == doc_controller
    (event,) = audit_events(version)
    assert event.action == "document.version.drafted"
    assert event.actor_id == dms.pk
    assert event.data["detail"]["on_behalf_of"]["username"] == doc_controller.username
    version = services.version_submit(
        actor=doc_controller, version=version, credentials=creds(doc_controller)
    )
    assert version.status == VersionStatus.IN_REVIEW


@pytest.mark.requirement("S1")
def test_a_draft_authored_by_the_service_account_can_never_be_submitted(dms, document):
    version = push(dms, document)
    assert version.author == dms
    with pytest.raises(SignatureRefused, match="may not sign"):
        services.version_submit(actor=dms, version=version, credentials=creds(dms))


@pytest.mark.requirement("U2")
@pytest.mark.parametrize("who", ["service account", "inactive", "no permission"])
def test_the_author_must_be_an_active_document_controller(db, dms, document, who):
    if who == "service account":
        author = user_create(
            actor=None,
            username="api-other",
            printed_name="Other integration",
            roles=[roles.DOCUMENT_CONTROLLER],
            is_service_account=True,
        )
    elif who == "inactive":
        author = make_user("gone", roles.EMPLOYEE, roles.DOCUMENT_CONTROLLER)
        type(author).objects.filter(pk=author.pk).update(is_active=False)
    else:
        author = make_user("operator", roles.EMPLOYEE)
    with pytest.raises(ValidationError) as refused:
        push(dms, document, author=author)
    assert "author" in refused.value.message_dict
    assert not DocumentVersion.objects.exists()
