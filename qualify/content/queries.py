"""Reads of the content app, each restricted as the pages and the API need."""

from typing import Any

from django.http import Http404

from qualify.content.models import Attempt, ContentPackage
from qualify.org.scoping import restrict


def visible_packages(user: Any):
    """Packages of documents within the user's client restriction (U2)."""
    return restrict(
        ContentPackage.objects.select_related("version__document"),
        user,
        "version__document__client",
    )


def package_of_version(user: Any, version_pk: int) -> ContentPackage:
    package = visible_packages(user).filter(version_id=version_pk).first()
    if package is None:
        raise Http404("No such e-learning package.")
    return package


def my_attempt(user: Any, pk: int) -> Attempt:
    """One of the signed-in learner's own attempts; anyone else's answers 404."""
    attempt = (
        Attempt.objects.select_related(
            "package__version__document", "person", "requirement", "record"
        )
        .filter(pk=pk, person__user_id=getattr(user, "pk", None))
        .first()
    )
    if attempt is None:
        raise Http404("No such attempt.")
    return attempt


# --- authored courses (issue 15, authoring light) ---------------------------------------


def courses(user: Any):
    """Authored courses within the user's client restriction (U2)."""
    from qualify.content.models import Course

    return restrict(Course.objects.select_related("bank", "package_document", "created_by"), user)


def course_of(user: Any, pk: int):
    course = courses(user).filter(pk=pk).first()
    if course is None:
        raise Http404("No such course.")
    return course


def page_of(user: Any, pk: int):
    from qualify.content.models import CoursePage

    page = (
        CoursePage.objects.select_related("course", "image_source__document")
        .filter(pk=pk, course__in=courses(user))
        .first()
    )
    if page is None:
        raise Http404("No such page.")
    return page


def image_versions(user: Any):
    """Approved versions of controlled documents whose file is an image (by the name
    the upload check gave it from its proven type), to take a page's image from."""
    from qualify.documents.models import DocumentVersion, VersionStatus

    return restrict(
        DocumentVersion.objects.select_related("document").filter(
            status=VersionStatus.APPROVED, file__iregex=r"\.(png|jpg|jpeg|gif|webp)$"
        ),
        user,
        "document__client",
    ).order_by("document__number", "-sequence")


def course_banks(user: Any):
    """Question bank documents a course can take its assessment from."""
    from qualify.documents.models import Document, DocumentType

    return restrict(Document.objects.filter(doc_type=DocumentType.QUESTION_BANK), user).order_by(
        "number"
    )
