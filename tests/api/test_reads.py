"""Reads: documents, versions, effective version, assignments with filters, records
with signature manifestations, audit events, checkpoints; drafts via a token."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qualify.audit.checkpoints import checkpoint_create
from tests import files
from tests.api.conftest import bearer, session


@pytest.fixture
def scene(plant):
    document = plant.document("SOP-020")
    plant.approve(plant.revise(document, "1"), effective_from=timezone.now() - dt.timedelta(days=3))
    requirement = plant.requirement("RQ-020", document=document)
    plant.matrix(requirement)
    trained, untrained = plant.operator_crew(2)
    plant.complete(trained, requirement)
    return plant, document, trained, untrained


@pytest.fixture
def reader(make_token):
    return bearer(make_token("read", name="reader")[1])


@pytest.mark.requirement("Q1")
def test_documents_versions_and_effective_version(reader, scene):
    assert reader.get("/api/v1/documents/").json()["results"][0]["number"] == "SOP-020"
    assert reader.get("/api/v1/documents/SOP-020/").json()["title"] == "Procedure"
    versions = reader.get("/api/v1/documents/SOP-020/versions/").json()["results"]
    assert versions[0]["state"] == "Effective"
    assert {s["meaning"] for s in versions[0]["signatures"]} == {"authored", "reviewed", "approved"}
    effective = reader.get("/api/v1/documents/SOP-020/effective/").json()
    assert effective["revision"] == "1"
    long_ago = reader.get("/api/v1/documents/SOP-020/effective/?at=2000-01-01T00:00:00Z")
    assert long_ago.status_code == 404


@pytest.mark.requirement("P6")
def test_a_token_pushes_a_draft_with_its_file(make_token, scene):
    client = bearer(make_token("documents-write", name="edms")[1])
    upload = SimpleUploadedFile("r2.pdf", files.pdf("r2"), "application/pdf")
    r = client.post(
        "/api/v1/documents/SOP-020/versions/",
        {"revision": "2", "change_summary": "From EDMS", "file": upload},
        format="multipart",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["author"] == "api-edms"
    assert r.json()["status"] == "draft"
    again = client.post(
        "/api/v1/documents/SOP-020/versions/",
        {"revision": "3", "change_summary": "second open draft"},
        format="multipart",
    )
    assert again.status_code == 400


@pytest.mark.requirement("G7")
def test_assignment_filters(reader, scene):
    _plant, _document, trained, untrained = scene
    rows = reader.get(f"/api/v1/assignments/?person={untrained.employee_number}").json()["results"]
    assert [r["status"] for r in rows] == ["open"]
    assert reader.get("/api/v1/assignments/?status=completed").json()["results"][0]["person"] == (
        trained.employee_number
    )
    assert reader.get("/api/v1/assignments/?overdue=true").json()["results"] == []
    soon = (timezone.now() + dt.timedelta(days=400)).isoformat().replace("+00:00", "Z")
    assert len(reader.get("/api/v1/assignments/", {"due_before": soon}).json()["results"]) == 2
    assert reader.get("/api/v1/assignments/?status=bogus").status_code == 400


@pytest.mark.requirement("S1")
def test_records_show_signature_manifestations(reader, scene):
    _plant, _document, trained, _untrained = scene
    rows = reader.get(f"/api/v1/records/?person={trained.employee_number}").json()["results"]
    assert rows[0]["revision"] == "1"
    manifestation = rows[0]["signatures"][0]["manifestation"]
    assert manifestation.startswith("Signed by ")
    assert "meaning:" in manifestation


@pytest.mark.requirement("A1", "A3")
def test_audit_events_of_a_record_and_checkpoints(reader, scene):
    _plant, document, _trained, _untrained = scene
    events = reader.get(
        "/api/v1/audit/events/", {"object_type": "documents.document", "object_id": document.pk}
    ).json()["results"]
    assert events[0]["action"] == "document.created"
    assert reader.get("/api/v1/audit/events/").status_code == 400
    checkpoint_create()
    assert reader.get("/api/v1/audit/checkpoints/").json()["results"][0]["tree_size"] > 0


def test_people_job_functions_matrix_requirements_quality(reader, scene):
    _plant, _document, trained, _untrained = scene
    assert len(reader.get("/api/v1/people/").json()["results"]) == 2
    assert reader.get(f"/api/v1/people/{trained.employee_number}/").status_code == 200
    assert reader.get("/api/v1/job-functions/").json()["results"][0]["code"] == "OP"
    assert reader.get("/api/v1/matrix/").json()["results"][0]["requirement"] == "RQ-020"
    assert reader.get("/api/v1/requirements/").json()["results"][0]["document"] == "SOP-020"
    for path in ("capas", "deviations", "change-controls"):
        assert reader.get(f"/api/v1/quality/{path}/").status_code == 200


def test_cursor_pagination(reader, scene):
    first = reader.get("/api/v1/people/?page_size=1").json()
    assert len(first["results"]) == 1
    assert first["next"]
    second = reader.get(first["next"]).json()
    assert second["results"][0]["employee_number"] != first["results"][0]["employee_number"]


def test_session_reads_need_the_role(employee, scene):
    assert session(employee).get("/api/v1/people/").status_code == 403
