"""P75, P76 through the pages: document control builds a course, adds pages, downloads
its package and publishes it; a bad image is refused on the form; others are refused."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qualify.content import archive
from qualify.content.models import ContentPackage, Course
from tests.assessments.support import approved_bank
from tests.content.test_authoring import SCORABLE, png

pytestmark = pytest.mark.requirement("P75")


@pytest.fixture
def author(client, plant):
    client.force_login(plant.doc_controller)
    return client


def _course(author, plant, bank=None):
    answer = author.post(
        "/content/courses/",
        {
            "title": "Line clearance",
            "description": "",
            "bank": bank.pk if bank else "",
            "pass_mark": "75",
        },
    )
    assert answer.status_code == 302, answer.content
    return Course.objects.get(title="Line clearance")


def test_a_course_is_built_downloaded_and_published_through_the_pages(author, plant):
    bank, _ = approved_bank(plant, text=SCORABLE)
    course = _course(author, plant, bank)
    added = author.post(
        f"/content/courses/{course.pk}/pages/",
        {
            "title": "Why",
            "text": "Mix-ups *hurt*.",
            "image": SimpleUploadedFile("why.png", png(), content_type="image/png"),
            "image_alt": "A line",
        },
    )
    assert added.status_code == 302
    page = author.get(f"/content/courses/{course.pk}/")
    assert page.status_code == 200
    assert b"Why" in page.content
    [why] = course.pages.all()
    image = author.get(f"/content/courses/pages/{why.pk}/image/")
    assert (image.status_code, image["Content-Type"]) == (200, "image/png")
    download = author.get(f"/content/courses/{course.pk}/export/?standard=scorm2004")
    assert download["Content-Type"] == "application/zip"
    package = b"".join(download.streaming_content) if download.streaming else download.content
    assert archive.inspect(io.BytesIO(package)).kind == "scorm2004"
    published = author.post(
        f"/content/courses/{course.pk}/publish/",
        {"standard": "cmi5", "revision": "1", "change_summary": "First issue"},
    )
    assert published.status_code == 302
    course.refresh_from_db()
    version = course.package_document.versions.get()
    assert published["Location"] == f"/documents/version/{version.pk}/"
    assert ContentPackage.objects.get(version=version).kind == "cmi5"


def test_the_page_form_refuses_a_file_that_is_not_an_image(author, plant):
    course = _course(author, plant)
    answer = author.post(
        f"/content/courses/{course.pk}/pages/",
        {"title": "Scan", "image": SimpleUploadedFile("scan.png", b"%PDF-1.4\n%%EOF", "image/png")},
    )
    assert answer.status_code == 422
    assert b"This file is not an image Qualify accepts" in answer.content
    assert not course.pages.exists()


def test_exporting_an_empty_course_says_why(author, plant):
    course = _course(author, plant)
    answer = author.get(f"/content/courses/{course.pk}/export/?standard=cmi5", follow=True)
    assert b"The course has no page; add at least one page before exporting." in answer.content


def test_a_page_is_changed_with_a_reason_and_removed(author, plant):
    course = _course(author, plant)
    author.post(f"/content/courses/{course.pk}/pages/", {"title": "One", "text": "x"})
    [one] = course.pages.all()
    no_reason = author.post(f"/content/courses/pages/{one.pk}/", {"title": "Uno", "text": "x"})
    assert no_reason.status_code == 422
    changed = author.post(
        f"/content/courses/pages/{one.pk}/", {"title": "Uno", "text": "y", "reason": "Italian"}
    )
    assert changed.status_code == 302
    one.refresh_from_db()
    assert (one.title, one.text) == ("Uno", "y")
    author.post(f"/content/courses/pages/{one.pk}/remove/", {"reason": "Not needed"})
    one.refresh_from_db()
    assert one.removed_at is not None


def test_only_document_control_reaches_the_authoring_pages(client, plant):
    client.force_login(plant.coordinator)
    assert client.get("/content/courses/").status_code == 403
    assert client.post("/content/courses/", {"title": "Mine", "pass_mark": "80"}).status_code == 403
    assert not Course.objects.exists()
