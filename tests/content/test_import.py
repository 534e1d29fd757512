"""P47: a package is a controlled document; its version's ZIP is checked when stored,
unpacked under the media root, served from our origin under the package policy; a new
package version retrains like a revised SOP."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.content.models import ContentPackage
from qualify.documents import services as documents
from qualify.documents.models import DocumentVersion
from qualify.training.models import AssignmentStatus
from tests.content import packages
from tests.training.support import DAY

pytestmark = pytest.mark.requirement("P47")


def test_an_approved_package_version_is_unpacked_and_described(plant, scorm12):
    document = plant.package_document(scorm12, title="Gowning")
    version = document.versions.get()
    package = ContentPackage.objects.get(version=version)
    assert document.number.startswith("ELP-")
    assert (package.kind, package.edition, package.title) == (
        "scorm12",
        "1.2",
        "Aseptic gowning (SCORM 1.2)",
    )
    assert package.zip_sha256 == version.file_sha256
    folder = Path(settings.MEDIA_ROOT) / package.folder
    assert (folder / "sco.html").read_text().startswith("<!doctype html>")
    assert AuditEvent.objects.filter(
        action="content.package.unpacked", object_id=str(package.pk)
    ).exists()


@pytest.mark.requirement("P52")
def test_a_bad_package_is_refused_with_its_reasons_and_nothing_is_stored(plant):
    document = documents.document_create(
        actor=plant.doc_controller, title="Broken", doc_type="package", owner=plant.doc_controller
    )
    bad = packages.zip_of({"imsmanifest.xml": packages.scorm12_manifest(), "../evil.html": "x"})
    with pytest.raises(ValidationError) as refused:
        documents.version_draft(
            actor=plant.doc_controller,
            document=document,
            revision="1",
            change_summary="First",
            file=ContentFile(bad, name="broken.zip"),
        )
    assert refused.value.message_dict["file"] == [
        "The file '../evil.html' has an absolute or escaping path."
    ]
    assert not DocumentVersion.objects.filter(document=document).exists()
    assert not (Path(settings.MEDIA_ROOT) / "content").exists()


def test_a_zip_is_refused_on_a_document_that_is_not_a_package(plant, scorm12):
    sop = plant.document("SOP-900")
    with pytest.raises(ValidationError) as refused:
        documents.version_draft(
            actor=plant.doc_controller,
            document=sop,
            revision="2",
            change_summary="Zip",
            file=ContentFile(scorm12, name="p.zip"),
        )
    assert "cannot be accepted" in refused.value.message_dict["file"][0]


def test_replacing_a_drafts_package_unpacks_the_new_one(plant, scorm12):
    document = documents.document_create(
        actor=plant.doc_controller,
        title="Two tries",
        doc_type="package",
        owner=plant.doc_controller,
    )
    version = documents.version_draft(
        actor=plant.doc_controller,
        document=document,
        revision="1",
        change_summary="First",
        file=ContentFile(scorm12, name="p.zip"),
    )
    documents.version_update_draft(
        actor=plant.doc_controller,
        version=version,
        reason="Two SCOs now",
        file=ContentFile(packages.scorm2004_package(), name="p2.zip"),
    )
    package = ContentPackage.objects.get(version=version)
    assert package.kind == "scorm2004"
    assert [i["identifier"] for i in package.manifest["items"]] == ["part1", "part2"]


def test_a_new_package_version_retrains_like_a_revised_sop(plant, scorm12):
    document, _requirement, learner, _assignment = plant.course(scorm12)
    plant.package_revision(
        document,
        "2",
        packages.scorm12_package(mastery="70"),
        effective_from=timezone.now() + 31 * DAY,
    )
    fresh = learner.assignments.get(status=AssignmentStatus.OPEN)
    assert fresh.document_version.revision == "2"
    assert fresh.reason == "revision"
    assert (
        ContentPackage.objects.get(version=fresh.document_version).manifest["items"][0][
            "mastery_score"
        ]
        == "70"
    )


def test_package_files_are_served_from_our_origin_under_the_package_policy(client, plant, scorm12):
    document, _, learner, _ = plant.course(scorm12)
    version = document.versions.get()
    client.force_login(learner.user)
    response = client.get(f"/content/files/{version.pk}/sco.html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "object-src 'none'" in policy
    assert "form-action 'none'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"<!doctype html>")


@pytest.mark.parametrize("path", ["../../../etc/passwd", "%2e%2e/secret", "missing.html", "/abs"])
def test_a_path_outside_the_package_or_missing_answers_404(client, plant, scorm12, path):
    document, _, learner, _ = plant.course(scorm12)
    client.force_login(learner.user)
    response = client.get(f"/content/files/{document.versions.get().pk}/{path}")
    assert response.status_code == 404
