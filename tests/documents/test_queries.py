import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from qualify.accounts import roles
from qualify.documents import queries, services
from qualify.documents.models import Document, DocumentType
from qualify.org import services as org
from qualify.org.scoping import visible_object
from tests.documents.support import released
from tests.personas import make_user


@pytest.fixture
def clients(admin):
    return (
        org.client_create(actor=admin, code="ACME", name="Acme Pharma"),
        org.client_create(actor=admin, code="BETA", name="Beta Bio"),
    )


@pytest.fixture
def library(doc_controller, clients):
    acme, beta = clients

    def make(number, client):
        return services.document_create(
            actor=doc_controller,
            number=number,
            title=number,
            doc_type=DocumentType.SOP,
            owner=doc_controller,
            client=client,
        )

    return {
        "acme": make("ACME-1", acme),
        "beta": make("BETA-1", beta),
        "house": make("SOP-1", None),
    }


@pytest.fixture
def acme_controller(admin, clients):
    user = make_user("acme_dc", roles.EMPLOYEE, roles.DOCUMENT_CONTROLLER)
    org.client_access_grant(actor=admin, user=user, client=clients[0], reason="Client work")
    return user


@pytest.mark.requirement("U2")
def test_a_restricted_user_sees_only_their_clients_documents(acme_controller, library):
    assert list(queries.documents(acme_controller)) == [library["acme"]]
    assert queries.document_by_number("BETA-1", acme_controller) is None
    assert queries.document_by_number("SOP-1", acme_controller) is None
    assert queries.document_by_number("ACME-1", acme_controller) == library["acme"]


@pytest.mark.requirement("U2")
def test_an_unrestricted_user_sees_every_document(auditor, library):
    assert set(queries.documents(auditor)) == set(library.values())
    assert queries.document_by_number("BETA-1") == library["beta"]


@pytest.mark.requirement("U2")
def test_another_clients_document_is_not_found_by_id(acme_controller, library):
    with pytest.raises(Http404):
        visible_object(Document.objects.all(), acme_controller, library["beta"].pk)


@pytest.mark.requirement("U2")
def test_a_restricted_controller_cannot_draft_another_clients_document(acme_controller, library):
    with pytest.raises(PermissionDenied):
        services.version_draft(
            actor=acme_controller, document=library["house"], revision="A", change_summary="x"
        )
    with pytest.raises(PermissionDenied):
        services.document_create(
            actor=acme_controller,
            number="X-1",
            title="X",
            doc_type=DocumentType.SOP,
            owner=acme_controller,
        )
    services.version_draft(
        actor=acme_controller, document=library["acme"], revision="A", change_summary="Allowed"
    )


@pytest.mark.requirement("S1")
def test_versions_come_with_their_signatures_in_order(
    doc_controller, reviewer, qa, document, django_assert_max_num_queries
):
    released(document, doc_controller, reviewer, qa, "A")
    released(document, doc_controller, reviewer, qa, "B")
    with django_assert_max_num_queries(2):
        rows = queries.versions_with_signatures(document)
        meanings = [[s.meaning for s in v.signature_list] for v in rows]
    assert [v.revision for v in rows] == ["A", "B"]
    assert meanings == [["authored", "reviewed", "approved"]] * 2
