"""Uploaded content never runs (issue 10): document versions and training evidence
accept only PDF without active content, images and plain text, checked by their
bytes; hostile files are refused with a clear message and nothing is written; what
is stored is served sandboxed, never sniffed, under a safe file name, and the
original bytes and their SHA-256 are kept as evidence."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from qualify.documents import services
from qualify.documents.models import DocumentVersion
from qualify.documents.uploads import check_upload, safe_name
from qualify.training import services as training
from qualify.training.models import Method, TrainingRecord
from tests import files
from tests.training.support import DAY, creds
from tests.web.pages_support import plant  # noqa: F401

pytestmark = pytest.mark.requirement("P18")

JS_ACTION = "<< /S /JavaScript /JS (app.alert(document.cookie)) >>"
HOSTILE = {
    "html named as a pdf": ("procedure.pdf", files.HTML, "markup"),
    "svg with script named as a png": ("diagram.png", files.SVG, "markup"),
    "svg without xml prolog": ("d.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "markup"),
    "pdf with a javascript open action": (
        "a.pdf",
        files.pdf(catalog_extra=f"/OpenAction {JS_ACTION}"),
        "JavaScript",
    ),
    "pdf with javascript hidden in a compressed object stream": (
        "b.pdf",
        files.pdf(
            catalog_extra="/OpenAction 5 0 R",
            extra_objects=(JS_ACTION,),
            compress_catalog=True,
        ),
        "JavaScript",
    ),
    "pdf with a javascript name tree spelt with a hex escape": (
        "c.pdf",
        files.pdf(
            catalog_extra="/Names << /J#61vaScript << /Names [(x) 5 0 R] >> >>",
            extra_objects=("<< /S /GoTo /D [3 0 R /Fit] >>",),
            compress_catalog=True,
        ),
        "JavaScript",
    ),
    "pdf with a launch action on a link": (
        "d.pdf",
        files.pdf(
            page_extra="/Annots [5 0 R]",
            extra_objects=(
                "<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
                "/A << /S /Launch /F (cmd.exe) >> >>",
            ),
        ),
        "launches programs",
    ),
    "pdf with page actions (/AA)": (
        "e.pdf",
        files.pdf(page_extra="/AA << /O << /S /GoTo /D [3 0 R /Fit] >> >>"),
        "actions run on events",
    ),
    "pdf with an embedded file": (
        "f.pdf",
        files.pdf(
            catalog_extra="/Names << /EmbeddedFiles << /Names [(x.exe) 5 0 R] >> >>",
            extra_objects=("<< /Type /Filespec /F (x.exe) >>",),
        ),
        "embedded files",
    ),
    "pdf/html polyglot": (
        "g.pdf",
        files.pdf() + b"<html><body><script>alert(1)</script></body></html>",
        "markup",
    ),
    "gif/script polyglot": ("h.gif", files.image("GIF") + b"<script>alert(1)</script>", "markup"),
    "text with a script tag": ("notes.txt", b"See <script>alert(1)</script>", "markup"),
    "pdf header only": ("i.pdf", b"%PDF-1.7 not really a pdf", "damaged"),
    "executable": ("j.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "not a type"),
    "png header on garbage": ("k.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a type"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_file_is_refused_and_no_version_is_written(case, doc_controller, document):
    name, content, why = HOSTILE[case]
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        services.version_draft(
            actor=doc_controller, document=document, revision="A", change_summary="x", file=upload
        )
    (message,) = refused.value.message_dict["file"]
    assert why in message
    assert "Upload a PDF, an image" in message  # says what would be accepted
    assert not DocumentVersion.objects.filter(document=document).exists()


ACCEPTED = {
    "pdf": ("sop.pdf", files.pdf("Aseptic filling"), "application/pdf", ".pdf"),
    "pdf with its objects compressed": (
        "sop.pdf",
        files.pdf(compress_catalog=True),
        "application/pdf",
        ".pdf",
    ),
    "pdf opening at a page (a destination, not a script)": (
        "sop.pdf",
        files.pdf(catalog_extra="/OpenAction [3 0 R /Fit]"),
        "application/pdf",
        ".pdf",
    ),
    "png": ("figure.png", files.png(), "image/png", ".png"),
    "jpeg": ("photo.jpeg", files.image("JPEG"), "image/jpeg", ".jpeg"),
    "gif": ("chart.gif", files.image("GIF"), "image/gif", ".gif"),
    "webp": ("photo.webp", files.image("WEBP"), "image/webp", ".webp"),
    "plain text": ("sop.txt", "Étape 1: clean the line.\n".encode(), "text/plain", ".txt"),
    "markdown": ("sop.md", b"# SOP\n\n1. Clean *the* line.\n", "text/plain", ".md"),
}


@pytest.mark.parametrize("case", ACCEPTED, ids=list(ACCEPTED))
def test_an_inert_file_is_kept_byte_for_byte_with_its_sha256(case, doc_controller, document):
    name, content, content_type, extension = ACCEPTED[case]
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="First issue",
        file=SimpleUploadedFile(name, content, content_type="application/octet-stream"),
    )
    version.refresh_from_db()
    assert version.file_sha256 == hashlib.sha256(content).hexdigest()
    assert version.file.name.endswith(extension)
    with version.file.open("rb") as stored:
        assert stored.read() == content
    assert check_upload(ContentFile(content, name=name)).content_type.startswith(content_type)


def test_the_type_comes_from_the_bytes_not_the_name(doc_controller, document):
    """A PNG named .pdf is stored as a .png and served as image/png."""
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="x",
        file=SimpleUploadedFile("figure.pdf", files.png(), content_type="application/pdf"),
    )
    assert version.file.name.endswith("figure.png")


def test_an_over_size_file_is_refused_with_the_limit(settings, doc_controller, document):
    settings.QUALIFY_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.txt", b"a" * (1024 * 1024 + 1))
    with pytest.raises(ValidationError) as refused:
        services.version_draft(
            actor=doc_controller, document=document, revision="A", change_summary="x", file=big
        )
    assert "larger than 1 MB" in refused.value.message_dict["file"][0]
    exact = SimpleUploadedFile("ok.txt", b"a" * (1024 * 1024))
    services.version_draft(
        actor=doc_controller, document=document, revision="A", change_summary="x", file=exact
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
        ('<img src=x onerror=alert(1)>".pdf', "_img src_x onerror_alert_1___.pdf"),
        ("rapport d'écart.pdf", "rapport d_écart.pdf"),
        (".htaccess", "htaccess.pdf"),
        ("sop.html", "sop.pdf"),
        ("", "file.pdf"),
    ],
)
def test_file_names_lose_paths_and_markup(given, stored):
    assert safe_name(given, "application/pdf") == stored


def test_the_stored_name_is_safe_even_when_the_upload_name_is_hostile(doc_controller, document):
    upload = SimpleUploadedFile("../<script>x</script>/a\"b'.pdf", files.pdf())
    version = services.version_draft(
        actor=doc_controller, document=document, revision="A", change_summary="x", file=upload
    )
    last = version.file.name.rsplit("/", 1)[-1]
    assert last == "a_b_.pdf"
    assert version.file.name.startswith("documents/SOP-001/A/")


# --- serving ------------------------------------------------------------------------------


def _version_with(doc_controller, document, name, content):
    return services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="x",
        file=SimpleUploadedFile(name, content),
    )


def test_a_stored_file_is_served_sandboxed_never_sniffed(client, doc_controller, document):
    version = _version_with(doc_controller, document, "rapport d'écart.pdf", files.pdf())
    client.force_login(doc_controller)
    response = client.get(reverse("web:document_version_file", args=[version.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = [p.strip() for p in response["Content-Security-Policy"].split(";")]
    assert policy[0] == "sandbox"  # no allow-scripts, no allow-same-origin
    assert "default-src 'none'" in policy
    assert response["Content-Disposition"] == (
        # The storage also turns spaces to "_"; the ASCII fallback loses the accent.
        "inline; filename=\"rapport_d__cart.pdf\"; filename*=UTF-8''rapport_d_%C3%A9cart.pdf"
    )
    assert b"".join(response.streaming_content) == files.pdf()


def test_bytes_stored_before_the_check_are_only_downloaded(client, doc_controller, document):
    """A file written behind the services' back (or before this check existed) that
    proves no accepted type is sent as an opaque download, still sandboxed."""
    version = _version_with(doc_controller, document, "sop.txt", b"clean text")
    with version.file.open("wb") as stored:
        stored.write(files.HTML)
    client.force_login(doc_controller)
    response = client.get(reverse("web:document_version_file", args=[version.pk]))
    assert response["Content-Type"] == "text/plain; charset=utf-8"  # text, never text/html
    assert response["Content-Security-Policy"].startswith("sandbox")
    with version.file.open("wb") as stored:
        stored.write(b"\x00\x01binary\xff")
    response = client.get(reverse("web:document_version_file", args=[version.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_revision_page_refuses_a_hostile_file_and_keeps_what_was_typed(
    client, doc_controller, document
):
    client.force_login(doc_controller)
    response = client.post(
        reverse("web:document_revise", args=[document.number]),
        {
            "revision": "A",
            "change_summary": "Typed with care",
            "retraining_required": "yes",
            "file": SimpleUploadedFile("sop.pdf", files.SVG, content_type="application/pdf"),
        },
    )
    assert response.status_code in (200, 422)
    body = response.content.decode()
    assert "This file cannot be accepted" in body
    assert "Typed with care" in body  # nothing typed is lost
    assert "<svg" not in body
    assert not DocumentVersion.objects.filter(document=document).exists()


# --- training evidence -----------------------------------------------------------------------


def test_evidence_of_an_external_certificate_is_checked_the_same_way(plant, coordinator):  # noqa: F811
    requirement = plant.requirement("FORKLIFT", method=Method.EXTERNAL)
    ann = plant.person("Ann")
    with pytest.raises(ValidationError) as refused:
        training.record_external(
            actor=coordinator,
            person=ann,
            requirement=requirement,
            completed_at=timezone.now() - DAY,
            evidence_file=ContentFile(files.SVG, name="licence.png"),
            credentials=creds(ann.user),
        )
    assert "cannot be accepted" in refused.value.message_dict["evidence_file"][0]
    assert not TrainingRecord.objects.filter(person=ann).exists()
    record = training.record_external(
        actor=coordinator,
        person=ann,
        requirement=requirement,
        completed_at=timezone.now() - DAY,
        evidence_file=ContentFile(files.image("JPEG"), name="../licence scan.jpg"),
        credentials=creds(ann.user),
    )
    assert record.evidence_file.name == "training/evidence/licence_scan.jpg"
    assert record.evidence_sha256 == hashlib.sha256(files.image("JPEG")).hexdigest()
