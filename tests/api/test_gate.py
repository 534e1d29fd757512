"""P9: the MES gate and executions; the superseded-baseline round trip."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qualify.documents import services as documents
from qualify.documents.models import DocumentVersion
from qualify.quality.models import Execution
from tests import files
from tests.api.conftest import bearer
from tests.quality.plant import creds

pytestmark = pytest.mark.requirement("P9")


@pytest.fixture
def scene(plant):
    document = plant.document("SOP-010")
    plant.approve(plant.revise(document, "1"), effective_from=timezone.now() - dt.timedelta(days=3))
    requirement = plant.requirement("RQ-010", document=document)
    plant.matrix(requirement)
    trained, untrained = plant.operator_crew(2)
    plant.complete(trained, requirement)
    return plant, document, requirement, trained, untrained


@pytest.fixture
def mes(make_token):
    return bearer(make_token("read", "executions-write", name="mes")[1])


@pytest.mark.requirement("Q4")
def test_single_check_answers_with_evidence_or_reasons(mes, scene):
    _plant, _document, _requirement, trained, untrained = scene
    ok = mes.get(f"/api/v1/qualifications/check?person={trained.employee_number}&document=SOP-010")
    assert ok.status_code == 200, ok.json()
    body = ok.json()
    assert body["qualified"] is True
    assert body["effective_version"]["revision"] == "1"
    assert len(body["evidence"]) == 1
    assert body["reasons"] == []
    no = mes.get(
        f"/api/v1/qualifications/check?person={untrained.employee_number}&document=SOP-010"
    )
    assert no.json()["qualified"] is False
    assert no.json()["reasons"][0]["code"] == "never_trained"


@pytest.mark.requirement("Q7")
def test_as_known_at_before_the_record_is_not_qualified(mes, scene):
    _plant, _document, _requirement, trained, _untrained = scene
    before = (timezone.now() - dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    r = mes.get(
        "/api/v1/qualifications/check",
        {"person": trained.employee_number, "document": "SOP-010", "as_known_at": before},
    )
    assert r.json()["qualified"] is False


def test_batch_check_in_order_and_limits(mes, scene):
    _plant, _document, _requirement, trained, untrained = scene
    pairs = [
        {"person": trained.employee_number, "document": "SOP-010"},
        {"person": untrained.employee_number, "document": "SOP-010"},
    ]
    r = mes.post("/api/v1/qualifications/check", {"pairs": pairs * 3}, format="json")
    assert r.status_code == 200, r.json()
    assert [a["qualified"] for a in r.json()["answers"]] == [True, False] * 3
    too_many = mes.post("/api/v1/qualifications/check", {"pairs": pairs * 501}, format="json")
    assert too_many.status_code == 400
    unknown = mes.post(
        "/api/v1/qualifications/check",
        {"pairs": [*pairs, {"person": "NOBODY", "document": "SOP-010"}]},
        format="json",
    )
    assert unknown.status_code == 400
    assert "pairs.2.person" in unknown.json()["errors"]
    assert mes.get("/api/v1/qualifications/check?person=NOBODY&document=SOP-010").status_code == 404


@pytest.mark.requirement("E1")
def test_executions_pass_the_gate_or_are_refused(mes, scene):
    _plant, _document, _requirement, trained, untrained = scene
    body = {"person": trained.employee_number, "batch": "B-1", "documents": ["SOP-010"]}
    r = mes.post("/api/v1/executions/", body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["qualified"] is True
    assert r.json()["documents"][0]["revision"] == "1"
    refused = mes.post(
        "/api/v1/executions/",
        {**body, "person": untrained.employee_number},
        format="json",
    )
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("gate-refused")
    assert Execution.objects.count() == 1
    assert mes.get("/api/v1/executions/").json()["results"][0]["batch"] == "B-1"


@pytest.mark.requirement("Q2", "G3", "P9")
def test_draft_pushed_with_a_token_then_approved_supersedes_the_baseline(
    scene, doc_controller, make_token
):
    plant, _document, _requirement, trained, _untrained = scene
    # The external document system pushes the revision with its token, on behalf of
    # the document controller who wrote it: only a person can sign "authored".
    dms = bearer(make_token("documents-write", "read", name="dms")[1])
    upload = SimpleUploadedFile("sop-010-r2.pdf", files.pdf("revision 2"), "application/pdf")
    r = dms.post(
        "/api/v1/documents/SOP-010/versions/",
        {
            "revision": "2",
            "change_summary": "New step 4",
            "file": upload,
            "author": doc_controller.username,
        },
        format="multipart",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["status"] == "draft"
    assert r.json()["author"] == doc_controller.username
    assert len(r.json()["file_sha256"]) == 64
    version = DocumentVersion.objects.get(pk=r.json()["id"])
    version = documents.version_submit(
        actor=doc_controller, version=version, credentials=creds(doc_controller)
    )
    version = documents.version_review(
        actor=plant.reviewer, version=version, credentials=creds(plant.reviewer)
    )
    plant.approve(version, exception="Safety change: effective at once")
    answer = (
        bearer(make_token("read", name="mes")[1])
        .get(f"/api/v1/qualifications/check?person={trained.employee_number}&document=SOP-010")
        .json()
    )
    assert answer["qualified"] is False
    assert answer["effective_version"]["revision"] == "2"
    assert answer["reasons"][0] == {
        "code": "superseded_baseline",
        "label": "trained on a superseded baseline",
    }


@pytest.mark.requirement("S1")
@pytest.mark.parametrize("author", ["nobody", "api-other"])
def test_a_draft_author_must_be_a_person_who_can_author(scene, make_token, author):
    make_token("documents-write", name="other")  # another integration's service account
    dms = bearer(make_token("documents-write", name="dms")[1])
    r = dms.post(
        "/api/v1/documents/SOP-010/versions/",
        {"revision": "2", "change_summary": "x", "content_text": "x", "author": author},
        format="json",
    )
    assert r.status_code == 400, r.json()
    assert "author" in r.json()["errors"]
    assert DocumentVersion.objects.filter(revision="2").count() == 0
