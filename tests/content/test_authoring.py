"""P75, P76: authoring light. A course of pages and an assessment from a question bank,
exported as a SCORM 2004 or cmi5 package that other LMSs import (our own importer
accepts it, its manifest validates against the shipped schemas, its SCO talks to
API_1484_11), published as a package document version and played in Qualify."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from qualify.assessments.for_export import bank_questions
from qualify.audit.models import AuditEvent
from qualify.audit.verify import verify_trail
from qualify.content import archive, authoring, export, services
from qualify.content.models import AttemptStatus, ContentPackage, CoursePage
from qualify.documents import services as documents
from qualify.documents.models import VersionStatus
from qualify.training.models import AssignmentStatus, Method
from tests.assessments.support import BANK_YAML, approved_bank
from tests.training.support import DAY, creds

pytestmark = pytest.mark.requirement("P75")

# The bank of the assessments' tests without what an exported package cannot score.
SCORABLE = BANK_YAML.split("  - key: G3")[0] + "  - key: G4" + BANK_YAML.split("  - key: G4")[1]


def png(colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def bank(plant):
    document, _version = approved_bank(plant, text=SCORABLE)
    return document


@pytest.fixture
def course(plant, bank):
    actor = plant.doc_controller
    course = authoring.course_create(
        actor=actor, title="Line clearance", description="Before every batch", bank=bank
    )
    authoring.page_add(
        actor=actor, course=course, title="Why", text="Mix-ups **kill** patients.\n\nAlways."
    )
    authoring.page_add(
        actor=actor,
        course=course,
        title="How",
        text="Check the line.",
        image=ContentFile(png(), name="line.png"),
        image_alt="A clear line",
    )
    return course


def members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_a_course_exports_as_scorm_2004_that_our_importer_accepts(plant, course):
    package, name = authoring.course_export(
        actor=plant.doc_controller,
        course=course,
        standard="scorm2004",
        questions_for=bank_questions,
    )
    assert name.endswith("scorm2004.zip")
    manifest = archive.inspect(io.BytesIO(package))
    assert (manifest.kind, manifest.edition, manifest.title) == (
        "scorm2004",
        "2004 4th edition",
        "Line clearance",
    )
    [sco] = manifest.items
    assert (sco.scorm_type, sco.href) == ("sco", "index.html")
    assert manifest.warnings == []
    files = members(package)
    assert export.schema_problems("scorm2004", files["imsmanifest.xml"]) == []
    assert files["images/page-2.png"] == png()
    assert b'<img src="images/page-2.png" alt="A clear line">' in files["index.html"]
    # Markdown rendered, raw HTML never passed through.
    assert b"<strong>kill</strong>" in files["index.html"]
    # The same course gives the same bytes.
    again, _ = authoring.course_export(
        actor=plant.doc_controller,
        course=course,
        standard="scorm2004",
        questions_for=bank_questions,
    )
    assert again == package


def test_a_course_exports_as_cmi5_with_move_on_and_mastery_from_the_pass_mark(plant, course):
    package, _ = authoring.course_export(
        actor=plant.doc_controller, course=course, standard="cmi5", questions_for=bank_questions
    )
    manifest = archive.inspect(io.BytesIO(package))
    assert manifest.kind == "cmi5"
    [au] = manifest.items
    assert (au.href, au.move_on, au.mastery_score) == ("index.html", "CompletedAndPassed", "0.8")
    assert au.identifier == authoring.identifier_of(course) + "/au/1"
    files = members(package)
    assert export.schema_problems("cmi5", files["cmi5.xml"]) == []
    data = files["course-data.js"].decode()
    assert '"standard": "cmi5"' in data
    assert '"source": "QB-001 rev 1"' in data
    assert data.count('"key":') == 6  # every question of the bank in force


def test_the_sco_reports_completion_and_score_through_api_1484_11(plant, course):
    package, _ = authoring.course_export(
        actor=plant.doc_controller,
        course=course,
        standard="scorm2004",
        questions_for=bank_questions,
    )
    files = members(package)
    assert b'<script src="course.js"></script>' in files["index.html"]
    script = files["course.js"].decode()
    for call in (
        "win.API_1484_11",
        'api.Initialize("")',
        'api.SetValue("cmi.completion_status", "completed")',
        'api.SetValue("cmi.success_status", result.passed ? "passed" : "failed")',
        'api.SetValue("cmi.score.scaled", String(result.scaled))',
        'api.Commit("")',
        'api.Terminate("")',
    ):
        assert call in script, call
    # The cmi5 side of the same player: the token fetched once, the cmi5 verbs.
    for call in (
        'this.fetchUrl, { method: "POST" }',
        '"initialized"',
        '"completed"',
        '"terminated"',
    ):
        assert call in script, call


def test_the_shipped_scorm_schema_refuses_a_manifest_out_of_shape(plant, course):
    package, _ = authoring.course_export(
        actor=plant.doc_controller,
        course=course,
        standard="scorm2004",
        questions_for=bank_questions,
    )
    manifest = members(package)["imsmanifest.xml"]
    absolute = manifest.replace(b'<file href="course.js"/>', b'<file href="/etc/passwd"/>')
    untitled = manifest.replace(b"<title>Line clearance</title>", b"<title> </title>", 1)
    assert export.schema_problems("scorm2004", absolute)
    assert export.schema_problems("scorm2004", untitled)


# --- bad input -------------------------------------------------------------------------


def test_an_empty_course_is_refused_with_its_reason(plant):
    empty = authoring.course_create(actor=plant.doc_controller, title="Nothing yet")
    with pytest.raises(ValidationError) as refused:
        authoring.course_export(
            actor=plant.doc_controller, course=empty, standard="cmi5", questions_for=None
        )
    assert refused.value.message_dict["course"] == [
        "The course has no page; add at least one page before exporting."
    ]


def test_a_page_without_a_title_is_refused_and_nothing_saved(plant, course):
    with pytest.raises(ValidationError) as refused:
        authoring.page_add(actor=plant.doc_controller, course=course, title="  ", text="Body")
    assert refused.value.message_dict["title"] == ["A page needs a title."]
    assert course.pages.count() == 2


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "not an image"),
        (b"just some words\n", "It is text."),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "not an image",
        ),
        (b"\x89PNG\r\n\x1a\nbroken", "not an image"),
    ],
)
def test_an_image_that_is_not_an_image_is_refused_clearly(plant, course, data, why):
    with pytest.raises(ValidationError) as refused:
        authoring.page_add(
            actor=plant.doc_controller,
            course=course,
            title="Picture",
            image=ContentFile(data, name="picture.png"),
        )
    [message] = refused.value.message_dict["image"]
    assert message.startswith("This file is not an image Qualify accepts (PNG, JPEG, GIF or WebP)")
    assert why in message
    assert course.pages.count() == 2


def test_a_bank_with_questions_the_package_cannot_score_is_refused_naming_them(plant):
    document, _ = approved_bank(plant, number="QB-002")  # has an ordering question (G3)
    course = authoring.course_create(actor=plant.doc_controller, title="Gowning", bank=document)
    authoring.page_add(actor=plant.doc_controller, course=course, title="Gowning")
    with pytest.raises(ValidationError) as refused:
        authoring.course_export(
            actor=plant.doc_controller,
            course=course,
            standard="scorm2004",
            questions_for=bank_questions,
        )
    assert refused.value.message_dict["course"] == [
        "Question G3 cannot go into an exported package: ordering questions are not scored "
        "by the exported player."
    ]


def test_only_document_control_authors_courses(plant, course):
    with pytest.raises(PermissionDenied):
        authoring.course_create(actor=plant.coordinator, title="Mine")
    with pytest.raises(PermissionDenied):
        authoring.page_add(actor=plant.coordinator, course=course, title="Mine")


def test_an_image_is_taken_from_an_approved_controlled_document(plant, course):
    drawing = documents.document_create(
        actor=plant.doc_controller,
        title="Line layout",
        doc_type="spec",
        owner=plant.doc_controller,
        site=plant.site,
    )
    version = documents.version_draft(
        actor=plant.doc_controller,
        document=drawing,
        revision="1",
        change_summary="First",
        file=ContentFile(png((0, 90, 0)), name="layout.png"),
    )
    with pytest.raises(ValidationError) as refused:
        authoring.page_add(
            actor=plant.doc_controller, course=course, title="Layout", image_source=version
        )
    assert "is not approved" in refused.value.message_dict["image_source"][0]
    documents.version_submit(
        actor=plant.doc_controller, version=version, credentials=creds(plant.doc_controller)
    )
    documents.version_review(
        actor=plant.reviewer, version=version, credentials=creds(plant.reviewer)
    )
    plant.approve(version, effective_from=timezone.now() - DAY)
    page = authoring.page_add(
        actor=plant.doc_controller, course=course, title="Layout", image_source=version
    )
    assert (page.image_type, page.image_sha256) == ("image/png", version.file_sha256)
    package, _ = authoring.course_export(
        actor=plant.doc_controller, course=course, standard="cmi5", questions_for=bank_questions
    )
    assert members(package)["images/page-3.png"] == png((0, 90, 0))


# --- controlled like a package (P76) ------------------------------------------------------


@pytest.mark.requirement("P76")
def test_changes_to_a_course_are_audited_with_a_reason_and_pages_are_never_deleted(plant, course):
    actor = plant.doc_controller
    why, how = list(course.pages.order_by("position"))
    with pytest.raises(ValidationError):
        authoring.page_update(actor=actor, page=why, reason="", title="Why it matters")
    authoring.page_update(actor=actor, page=why, reason="Clearer title", title="Why it matters")
    authoring.page_move(actor=actor, page=how, up=True)
    authoring.page_remove(actor=actor, page=why, reason="Covered in the SOP")
    assert CoursePage.objects.filter(pk=why.pk, removed_at__isnull=False).exists()
    assert [p.title for p in authoring.live_pages(course)] == ["How"]
    changed = AuditEvent.objects.get(action="content.course.page_changed", object_id=str(why.pk))
    assert changed.reason == "Clearer title"
    assert AuditEvent.objects.filter(action="content.course.page_removed").count() == 1
    assert AuditEvent.objects.filter(action="content.course.page_moved").count() == 2
    # A4: every course and page row is what its last audit event says.
    report = verify_trail()
    assert report.ok, [str(p) for p in report.problems]


@pytest.mark.requirement("P76")
def test_publishing_drafts_a_package_version_that_is_approved_and_played_in_qualify(plant, course):
    actor = plant.doc_controller
    version = authoring.course_publish(
        actor=actor,
        course=course,
        standard="scorm2004",
        revision="1",
        change_summary="First issue",
        questions_for=bank_questions,
    )
    course.refresh_from_db()
    document = course.package_document
    assert (document.doc_type, version.status) == ("package", VersionStatus.DRAFT)
    package = ContentPackage.objects.get(version=version)
    assert (package.kind, package.edition) == ("scorm2004", "2004 4th edition")
    assert AuditEvent.objects.filter(action="content.course.published").count() == 1
    # A second publication while the first is open is refused by the document services.
    with pytest.raises(ValidationError):
        authoring.course_publish(
            actor=actor,
            course=course,
            standard="cmi5",
            revision="2",
            change_summary="",
            questions_for=bank_questions,
        )
    documents.version_submit(actor=actor, version=version, credentials=creds(actor))
    documents.version_review(
        actor=plant.reviewer, version=version, credentials=creds(plant.reviewer)
    )
    plant.approve(version, effective_from=timezone.now() - DAY)
    requirement = plant.requirement("EL-LC", method=Method.ELEARNING, document=document)
    plant.matrix(requirement)
    learner = plant.person("Learner", job_function=plant.operators)
    assignment = learner.assignments.get(requirement=requirement)
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    # What the SCO commits when the learner passes the assessment (5 of 6 right).
    accepted, problems = services.runtime_commit(
        actor=learner.user,
        attempt=attempt,
        item="course",
        body={
            "cmi": {
                "completion_status": "completed",
                "success_status": "passed",
                "progress_measure": "1",
                "score": {"scaled": "0.8333", "raw": "5", "min": "0", "max": "6"},
                "session_time": "PT4M12S",
                "exit": "normal",
            },
            "capturedAt": 1,
        },
        final=True,
    )
    assert (accepted, problems) == (True, [])
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score) == (AttemptStatus.COMPLETED, Decimal("83.33"))
    record = services.attempt_sign(
        actor=learner.user, attempt=attempt, credentials=creds(learner.user)
    )
    assert record.document_version == version
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED
    report = verify_trail()
    assert report.ok, [str(p) for p in report.problems]


def test_page_text_cannot_carry_script_into_the_package(plant):
    actor = plant.doc_controller
    course = authoring.course_create(actor=actor, title="<b>Bold</b> title")
    authoring.page_add(
        actor=actor,
        course=course,
        title="<img src=x onerror=alert(1)>",
        text="<script>alert(1)</script>\n\n[click](javascript:alert(1)) [ok](https://example.org)",
    )
    package, _ = authoring.course_export(
        actor=actor, course=course, standard="scorm2004", questions_for=None
    )
    page = members(package)["index.html"].decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert 'href="javascript:' not in page
    assert '<a href="https://example.org">ok</a>' in page
    assert "<title>&lt;b&gt;Bold&lt;/b&gt; title</title>" in page
