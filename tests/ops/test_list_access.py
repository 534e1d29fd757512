"""P141: lists are access-logged. A list page or an API list names in the access log
every GxP record it showed (one entry each, marked as seen in a list), written in the
request's one batch, not to the change trail and without the audit chain's lock."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualify.audit import access
from qualify.audit.models import AccessEvent, AuditEvent
from qualify.audit.trail import ADVISORY_LOCK_KEY
from tests.api.conftest import bearer, session
from tests.quality.plant import Plant

pytestmark = [pytest.mark.requirement("P141", "P64"), pytest.mark.django_db]


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa):
    return Plant(admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa)


@pytest.fixture(autouse=True)
def _rate(settings):
    settings.QUALIFY_API_RATE = "10000/min"


@pytest.fixture
def token(db):
    from qualify.api.tokens import token_create

    return token_create(name="mes", scopes=["read"])


def _shown(path: str) -> set[tuple[str, str, str]]:
    return {
        (e.object_type, e.object_id, e.data.get("view", "detail"))
        for e in AccessEvent.objects.filter(entry__contains=f'"path":"{path}"')
    }


def test_an_api_list_logs_each_record_it_answered_with_in_one_insert_outside_the_trail(
    plant, token
):
    """Every document of the list is in the access log, seen in a list, by the token's
    user with the request's id; one INSERT for the request; no change trail event and
    no statement on the change trail or its lock."""
    row, raw = token
    documents = [plant.document(f"SOP-{n}") for n in (1, 2, 3)]
    events = AuditEvent.objects.count()
    client = bearer(raw)
    client.get("/api/v1/ping/")  # the token's minute is noted before we count
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/documents/")
    assert response.status_code == 200
    assert _shown("/api/v1/documents/") == {
        ("documents.document", str(d.pk), "list") for d in documents
    }
    logged = AccessEvent.objects.all()
    assert {e.actor_id for e in logged} == {row.user_id}
    assert {e.request_id for e in logged} == {response["X-Request-ID"]}
    statements = [q["sql"].lower() for q in queries.captured_queries]
    # One write: INSERT run for each row, or on PostgreSQL a COPY; nothing else inserted.
    # (Django logs an executemany as "N times: INSERT ...".)
    writes = [s for s in statements if "insert into" in s or s.startswith("copy ")]
    assert len(writes) == 1
    assert "audit_access_event" in writes[0].split("(")[0]
    assert not [s for s in statements if "audit_event" in s.replace("audit_access_event", "")]
    chain_lock = str(ADVISORY_LOCK_KEY)  # the change trail's lock; the access log has its own
    assert not [s for s in statements if chain_lock in s]
    assert AuditEvent.objects.count() == events
    assert access.verify_access_log() == []


def test_a_page_of_a_list_logs_only_the_records_on_that_page(plant, auditor):
    """The people list shows 50 people a page: the log names those 50, not the rest."""
    people = [plant.person(f"Person {n:03}", job_function=plant.operators) for n in range(55)]
    response = session(auditor).get("/organisation/people/")
    assert response.status_code == 200
    shown = _shown("/organisation/people/")
    assert len(shown) == 50
    assert shown <= {("org.person", str(p.pk), "list") for p in people}
    assert access.verify_access_log() == []


def test_the_document_list_page_logs_its_documents_and_an_opening_stays_a_detail(plant, auditor):
    """A list entry says it was a list; a document page's entry is an opening as before."""
    document = plant.document("SOP-100")
    client = session(auditor)
    assert client.get("/documents/").status_code == 200
    assert client.get("/documents/SOP-100/").status_code == 200
    assert _shown("/documents/") == {("documents.document", str(document.pk), "list")}
    opened = AccessEvent.objects.get(entry__contains='"path":"/documents/SOP-100/"')
    assert "view" not in opened.data
    assert opened.data["v"] == access.FORMAT
    assert AccessEvent.objects.get(entry__contains='"view":"list"').data["v"] == 2
    assert access.verify_access_log() == []


def test_a_list_of_no_gxp_records_writes_nothing(auditor):
    """An empty list shows no record, so the access log stays empty."""
    assert session(auditor).get("/documents/").status_code == 200
    assert not AccessEvent.objects.exists()


def test_the_inspector_transcript_logs_the_person_and_each_record_it_lists(plant, auditor):
    """An opening of the person, and each training record of the transcript as listed."""
    sop = plant.document("SOP-100")
    plant.approve(plant.revise(sop, "1"))
    requirement = plant.requirement("RQ-100", document=sop)
    plant.matrix(requirement)
    ann = plant.person("Ann Operator", job_function=plant.operators)
    record = plant.complete(ann, requirement)
    path = f"/inspector/transcript/{ann.pk}/"
    assert session(auditor).get(path).status_code == 200
    assert _shown(path) == {
        ("org.person", str(ann.pk), "detail"),
        ("training.trainingrecord", str(record.pk), "list"),
    }
