"""P75, P76 through the API: a course is created, given pages (an image checked by its
bytes), exported and published with the same services the pages call."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from qualify.content import archive
from qualify.content.models import ContentPackage
from tests.assessments.support import approved_bank
from tests.content.test_authoring import SCORABLE, png

pytestmark = pytest.mark.requirement("P75", "P76")


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_a_course_is_built_exported_and_published_through_the_api(plant):
    approved_bank(plant, text=SCORABLE)
    api = _api(plant.doc_controller)
    made = api.post(
        reverse("api:content-courses"),
        {"title": "Line clearance", "bank": "QB-001", "pass_mark": "75"},
        format="json",
    )
    assert made.status_code == 201, made.content
    course = made.json()["id"]
    pages = reverse("api:content-course-pages", args=[course])
    first = api.post(
        pages,
        {"title": "Why", "text": "Mix-ups.", "image": SimpleUploadedFile("w.png", png())},
        format="multipart",
    )
    assert first.status_code == 201, first.content
    assert first.json()["image_type"] == "image/png"
    bad = api.post(
        pages,
        {"title": "Scan", "image": SimpleUploadedFile("scan.png", b"%PDF-1.4\n%%EOF")},
        format="multipart",
    )
    assert bad.status_code == 400
    assert "This file is not an image Qualify accepts" in str(bad.json())
    untitled = api.post(pages, {"title": ""}, format="multipart")
    assert untitled.status_code == 400
    assert "A page needs a title." in str(untitled.json())
    read = api.get(reverse("api:content-course", args=[course])).json()
    assert [p["title"] for p in read["pages"]] == ["Why"]
    assert read["bank"] == "QB-001"
    no_reason = api.patch(
        reverse("api:content-course", args=[course]), {"title": "LC"}, format="json"
    )
    assert no_reason.status_code == 400
    exported = api.get(reverse("api:content-course-export", args=[course]), {"standard": "cmi5"})
    assert exported["Content-Type"] == "application/zip"
    assert archive.inspect(io.BytesIO(exported.content)).kind == "cmi5"
    published = api.post(
        reverse("api:content-course-publish", args=[course]),
        {"standard": "scorm2004", "revision": "A"},
        format="json",
    )
    assert published.status_code == 201, published.content
    body = published.json()
    assert (body["revision"], body["status"]) == ("A", "draft")
    assert ContentPackage.objects.get(version_id=body["version"]).kind == "scorm2004"


def test_a_course_without_a_title_is_refused_with_the_reason(plant):
    refused = _api(plant.doc_controller).post(reverse("api:content-courses"), {}, format="json")
    assert refused.status_code == 400
    assert "A course needs a title." in str(refused.json())


@pytest.mark.requirement("P16")
def test_an_empty_form_field_is_refused_not_read_as_absent(plant):
    """A form-encoded `bank=` or `pass_mark=` is a mistake to name, not "no bank"."""
    refused = _api(plant.doc_controller).post(
        reverse("api:content-courses"), {"title": "Line clearance", "bank": "", "pass_mark": ""}
    )
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert errors["bank"] == errors["pass_mark"] == ["This field may not be empty."]
    assert not _api(plant.doc_controller).get(reverse("api:content-courses")).json()["results"]


def test_only_document_control_authors_through_the_api(plant):
    api = _api(plant.coordinator)
    assert api.get(reverse("api:content-courses")).status_code == 403
    refused = api.post(reverse("api:content-courses"), {"title": "Mine"}, format="json")
    assert refused.status_code == 403


def test_the_schema_describes_the_authoring_operations(client):
    paths = client.get(reverse("api:schema"), {"format": "json"}).json()["paths"]
    assert set(paths["/api/v1/content/courses/"]) == {"get", "post"}
    assert set(paths["/api/v1/content/courses/{id}/"]) == {"get", "patch"}
    assert "post" in paths["/api/v1/content/courses/{id}/publish/"]
    export = paths["/api/v1/content/courses/{id}/export/"]["get"]
    assert "application/zip" in export["responses"]["200"]["content"]
