"""Writes of authored courses (issue 15, point 5, "authoring light"): a course of
pages (text, images) with an assessment from a question bank, published as a new
version of its e-learning package document in cmi5 or SCORM 2004.

The course itself is a workspace of the document controller (documents.manage_documents),
audited like every GxP record (A1); what learners play and what is controlled is its
publication: `course_publish` builds the package (qualify.content.export), and drafts it
as a new version of the course's package document through the document services, so
our own importer checks and unpacks it (P47) and it is then submitted, reviewed and
approved like any package (L2); a new approved version retrains like a revised SOP (G3).
The same ZIP can be downloaded (`course_export`) and imported by another LMS.

Hazards:
- content may not import assessments (layers): the questions of the bank version in
  force are read by the caller (qualify.assessments.for_export.bank_questions, from
  the pages and the API) and passed in as `questions_for`.
- Images are checked by their bytes (documents.uploads.check_upload) and must be PNG,
  JPEG, GIF or WebP; an image taken from a controlled document is the file of an
  approved version, read again at each export.
- Pages are never deleted: a removed page is marked removed and left out of exports.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from qualify.audit import services as audit
from qualify.content import export
from qualify.content.manifest import CMI5, SCORM2004
from qualify.content.models import Course, CoursePage
from qualify.documents import services as documents
from qualify.documents.models import Document, DocumentType, DocumentVersion, VersionStatus
from qualify.documents.uploads import IMAGE_TYPES, check_upload, detect_type
from qualify.guards import require_perm, require_reason
from qualify.org.scoping import check_client

STANDARDS = {CMI5: "cmi5", SCORM2004: "SCORM 2004 4th edition"}
COURSE_FIELDS = {"title", "description", "bank", "pass_mark"}
IMAGE_CONTENT_TYPES = set(IMAGE_TYPES.values())
# (questions in the bank's interchange format, "QB-001 rev 2") of a bank document.
QuestionsFor = Callable[[Document], tuple[list[dict], str]]


def _require_author(actor: Any) -> None:
    require_perm(
        actor,
        "documents.manage_documents",
        message="Only document control authors e-learning courses.",
    )


def _title(value: str | None, what: str = "page") -> str:
    title = (value or "").strip()
    if not title:
        raise ValidationError({"title": f"A {what} needs a title."})
    return title


def _bank(bank: Document | None) -> Document | None:
    if bank is not None and bank.doc_type != DocumentType.QUESTION_BANK:
        raise ValidationError({"bank": f"{bank.number} is not a question bank."})
    return bank


def _pass_mark(value: Any) -> Decimal:
    try:
        mark = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"pass_mark": "The pass mark is a number from 0 to 100."}) from None
    if not mark.is_finite() or not Decimal(0) <= mark <= Decimal(100):
        raise ValidationError({"pass_mark": "The pass mark is a number from 0 to 100."})
    # As the column stores it, so the audited state is the live row's (A4).
    return mark.quantize(Decimal("0.01"))


def identifier_of(course: Course) -> str:
    """The course's IRI in the packages (cmi5 course id), the same in every version."""
    base = getattr(settings, "QUALIFY_BASE_URL", "http://localhost:8000").rstrip("/")
    return f"{base}/content/courses/{course.pk}"


# --- the course ----------------------------------------------------------------------


@transaction.atomic
def course_create(
    *,
    actor: Any,
    title: str,
    description: str = "",
    site: Any = None,
    client: Any = None,
    bank: Document | None = None,
    pass_mark: Any = 80,
) -> Course:
    _require_author(actor)
    check_client(actor, client.pk if client else None)
    course = Course(
        title=_title(title, "course"),
        description=(description or "").strip(),
        site=site,
        client=client,
        bank=_bank(bank),
        pass_mark=_pass_mark(pass_mark),
        created_by=actor,
        created_at=timezone.now(),
    )
    course.full_clean()
    course.save()
    audit.record("content.course.created", course, actor=actor)
    return course


def _locked(course: Course, actor: Any) -> Course:
    course = Course.objects.select_for_update().get(pk=course.pk)
    check_client(actor, course.client_id)
    return course


@transaction.atomic
def course_update(*, actor: Any, course: Course, reason: str, **fields: Any) -> Course:
    """Change the course's title, description, question bank or pass mark."""
    _require_author(actor)
    unknown = set(fields) - COURSE_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    reason = require_reason(reason)
    course = _locked(course, actor)
    before = audit.state_of(course)
    if "title" in fields:
        course.title = _title(fields["title"], "course")
    if "description" in fields:
        course.description = (fields["description"] or "").strip()
    if "bank" in fields:
        course.bank = _bank(fields["bank"])
    if "pass_mark" in fields:
        course.pass_mark = _pass_mark(fields["pass_mark"])
    course.full_clean()
    course.save()
    audit.record("content.course.updated", course, actor=actor, before=before, reason=reason)
    return course


# --- pages ---------------------------------------------------------------------------


def _uploaded_image(upload: Any) -> tuple[ContentFile, str, str]:
    """An uploaded image checked by its bytes: (file, content type, SHA-256)."""
    not_image = "This file is not an image Qualify accepts (PNG, JPEG, GIF or WebP)."
    try:
        checked = check_upload(upload, field="image")
    except ValidationError as error:
        too_large = [m for m in error.messages if "larger than" in m or "empty" in m]
        raise ValidationError({"image": too_large or [not_image]}) from None
    if checked.content_type not in IMAGE_CONTENT_TYPES:
        kind = "a PDF" if checked.content_type == "application/pdf" else "text"
        raise ValidationError({"image": f"{not_image} It is {kind}."})
    upload.seek(0)
    data = upload.read()
    return ContentFile(data, name=checked.name), checked.content_type, checked.sha256


def _document_image(actor: Any, version: DocumentVersion) -> tuple[str, str]:
    """An image from a controlled document: the file of an approved version."""
    version = DocumentVersion.objects.select_related("document").get(pk=version.pk)
    check_client(actor, version.document.client_id)
    if version.status != VersionStatus.APPROVED:
        raise ValidationError(
            {"image_source": f"{version} is not approved; take images from approved versions."}
        )
    if not version.file:
        raise ValidationError({"image_source": f"{version} has no file."})
    with version.file.open("rb") as handle:
        data = handle.read()
    content_type = detect_type(data)
    if content_type not in IMAGE_CONTENT_TYPES:
        raise ValidationError(
            {"image_source": f"The file of {version} is not an image (PNG, JPEG, GIF or WebP)."}
        )
    return content_type, hashlib.sha256(data).hexdigest()


def _set_image(actor: Any, page: CoursePage, image: Any, image_source: Any) -> None:
    if image is not None and image_source is not None:
        raise ValidationError({"image": "Upload an image or take one from a document, not both."})
    if image is not None:
        page.image, page.image_type, page.image_sha256 = _uploaded_image(image)
        page.image_source = None
    elif image_source is not None:
        page.image_type, page.image_sha256 = _document_image(actor, image_source)
        page.image_source = image_source
        page.image = None


@transaction.atomic
def page_add(
    *,
    actor: Any,
    course: Course,
    title: str,
    text: str = "",
    image: Any = None,
    image_alt: str = "",
    image_source: DocumentVersion | None = None,
) -> CoursePage:
    """A new page at the end of the course."""
    _require_author(actor)
    course = _locked(course, actor)
    last = course.pages.aggregate(n=Max("position"))["n"] or 0
    page = CoursePage(
        course=course,
        position=last + 1,
        title=_title(title),
        text=(text or "").strip(),
        image_alt=(image_alt or "").strip(),
    )
    _set_image(actor, page, image, image_source)
    page.full_clean()
    page.save()
    audit.record("content.course.page_added", page, actor=actor)
    return page


@transaction.atomic
def page_update(
    *,
    actor: Any,
    page: CoursePage,
    reason: str,
    title: str | None = None,
    text: str | None = None,
    image: Any = None,
    image_alt: str | None = None,
    image_source: DocumentVersion | None = None,
    remove_image: bool = False,
) -> CoursePage:
    _require_author(actor)
    reason = require_reason(reason)
    _locked(page.course, actor)
    page = CoursePage.objects.select_for_update().get(pk=page.pk)
    if page.removed_at is not None:
        raise ValidationError("This page was removed; it cannot be changed.")
    before = audit.state_of(page)
    if title is not None:
        page.title = _title(title)
    if text is not None:
        page.text = text.strip()
    if image_alt is not None:
        page.image_alt = image_alt.strip()
    if remove_image:
        page.image, page.image_type, page.image_sha256, page.image_source = None, "", "", None
    _set_image(actor, page, image, image_source)
    page.full_clean()
    page.save()
    audit.record("content.course.page_changed", page, actor=actor, before=before, reason=reason)
    return page


@transaction.atomic
def page_remove(*, actor: Any, page: CoursePage, reason: str) -> CoursePage:
    _require_author(actor)
    reason = require_reason(reason)
    _locked(page.course, actor)
    page = CoursePage.objects.select_for_update().get(pk=page.pk)
    if page.removed_at is not None:
        return page
    before = audit.state_of(page)
    page.removed_at = timezone.now()
    page.save(update_fields=["removed_at"])
    audit.record("content.course.page_removed", page, actor=actor, before=before, reason=reason)
    return page


@transaction.atomic
def page_move(*, actor: Any, page: CoursePage, up: bool) -> CoursePage:
    """Swap the page with the one before (up) or after it."""
    _require_author(actor)
    course = _locked(page.course, actor)
    page = CoursePage.objects.select_for_update().get(pk=page.pk)
    pages = list(course.pages.filter(removed_at__isnull=True).order_by("position", "pk"))
    index = next(i for i, p in enumerate(pages) if p.pk == page.pk)
    other_index = index - 1 if up else index + 1
    if not 0 <= other_index < len(pages):
        return page
    other = pages[other_index]
    for moved, position in ((page, other.position), (other, page.position)):
        before = audit.state_of(moved)
        moved.position = position
        moved.save(update_fields=["position"])
        audit.record(
            "content.course.page_moved",
            moved,
            actor=actor,
            before=before,
            reason="The author changed the order of the pages",
        )
    return page


# --- export and publication ----------------------------------------------------------


def live_pages(course: Course) -> list[CoursePage]:
    return list(
        course.pages.filter(removed_at__isnull=True)
        .select_related("image_source")
        .order_by("position", "pk")
    )


def _image_bytes(page: CoursePage) -> bytes | None:
    source = page.image_source.file if page.image_source_id else page.image
    if not source:
        return None
    with source.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != page.image_sha256:
        raise ValidationError(
            f"The image of page {page.title!r} changed since it was checked; choose it again."
        )
    return data


def course_out(course: Course, questions_for: QuestionsFor | None) -> export.CourseOut:
    """The course as it is exported now: live pages, the bank version in force."""
    questions: list[dict] = []
    source = ""
    if course.bank_id is not None:
        if questions_for is None:
            raise ValidationError("The course has a question bank but no reader was given.")
        questions, source = questions_for(course.bank)
    return export.CourseOut(
        identifier=identifier_of(course),
        title=course.title,
        description=course.description,
        pages=[
            export.PageOut(
                title=p.title,
                text=p.text,
                image=_image_bytes(p),
                image_type=p.image_type,
                image_alt=p.image_alt,
            )
            for p in live_pages(course)
        ],
        questions=questions,
        pass_mark=course.pass_mark,
        source=source,
    )


def _standard(standard: str) -> str:
    if standard not in STANDARDS:
        raise ValidationError({"standard": "Export as cmi5 or SCORM 2004."})
    return standard


def course_export(
    *, actor: Any, course: Course, standard: str, questions_for: QuestionsFor | None
) -> tuple[bytes, str]:
    """The course's package now, for another LMS: (ZIP bytes, file name). Changes
    nothing. Raises ValidationError naming every problem."""
    _require_author(actor)
    check_client(actor, course.client_id)
    data = course_out(course, questions_for)
    try:
        package = export.build(data, _standard(standard))
    except export.ExportError as error:
        raise ValidationError({"course": error.problems}) from None
    return package, f"course-{course.pk}-{standard}.zip"


def course_publish(
    *,
    actor: Any,
    course: Course,
    standard: str,
    revision: str,
    change_summary: str,
    questions_for: QuestionsFor | None,
) -> DocumentVersion:
    """Publish the course as a new draft version of its package document (made on the
    first publication): the export, checked and unpacked by our importer, then
    submitted, reviewed and approved like any package."""
    package, name = course_export(
        actor=actor, course=course, standard=standard, questions_for=questions_for
    )
    with transaction.atomic():
        course = _locked(course, actor)
        document = course.package_document
        if document is None:
            before = audit.state_of(course)
            document = documents.document_create(
                actor=actor,
                title=course.title,
                doc_type=DocumentType.CONTENT_PACKAGE,
                owner=actor,
                site=course.site,
                client=course.client,
            )
            course.package_document = document
            course.save(update_fields=["package_document"])
            audit.record(
                "content.course.package_made",
                course,
                actor=actor,
                before=before,
                reason="The course is published for the first time",
                detail={"document": document.number},
            )
        version = documents.version_draft(
            actor=actor,
            document=document,
            revision=revision,
            change_summary=(change_summary or "").strip()
            or f"Course published as {STANDARDS[standard]}.",
            file=ContentFile(package, name=name),
        )
        audit.record(
            "content.course.published",
            course,
            actor=actor,
            detail={
                "document": document.number,
                "version": version.pk,
                "revision": version.revision,
                "standard": standard,
                "zip_sha256": version.file_sha256,
                "pages": len(live_pages(course)),
            },
        )
    return version
