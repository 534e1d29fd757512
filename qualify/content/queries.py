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


# --- packages and attempts for the API (issue 15, integration) --------------------------


def packages(user: Any):
    """Every package version the user may read (U2), newest first."""
    return visible_packages(user).order_by("-version__document__number", "-version__sequence")


def attempts(user: Any):
    """E-learning attempts within the client restriction (U2) and the reach of
    ELEARNING_ATTEMPTS: a learner reads only their own."""
    from qualify.accounts import policy

    rows = restrict(
        Attempt.objects.select_related(
            "person", "requirement", "package__version__document", "record"
        ),
        user,
        "package__version__document__client",
    )
    return policy.only_own(rows, user, policy.ELEARNING_ATTEMPTS).order_by("pk")


def attempt_state(attempt: Attempt) -> list[dict]:
    """The run-time state of each SCO or AU of an attempt, in the manifest's order.
    SCORM: the latest accepted data (ScoState). cmi5: the verbs the AU's statements in
    the registration carry (voided ones left out) and whether it is satisfied."""
    from qualify.content import cmi5

    items = attempt.package.manifest.get("items", [])
    if attempt.package.kind == "cmi5":
        voided = {
            str(v)
            for v in attempt.statements.filter(verb=cmi5.VOIDED).values_list("voids", flat=True)
        }
        verbs: dict[str, set[str]] = {}
        for statement_id, activity, verb in attempt.statements.values_list(
            "statement_id", "activity_id", "verb"
        ):
            if str(statement_id) not in voided:
                verbs.setdefault(activity, set()).add(verb)
        out = []
        for item in items:
            mine = verbs.get(item["identifier"], set())
            out.append(
                {
                    "item": item["identifier"],
                    "title": item.get("title", ""),
                    "verbs": sorted(v.rsplit("/", 1)[-1] for v in mine),
                    "satisfied": cmi5.au_satisfied(item.get("move_on") or "NotApplicable", mine),
                    "waived": cmi5.WAIVED in mine,
                }
            )
        return out
    states = {s.item: s for s in attempt.scos.all()}
    out = []
    for item in items:
        state = states.get(item["identifier"])
        cmi = state.cmi if state else {}
        out.append(
            {
                "item": item["identifier"],
                "title": item.get("title", ""),
                "completion_status": state.completion_status if state else "",
                "success_status": state.success_status if state else "",
                "score_scaled": state.score_scaled if state else None,
                "total_seconds": state.total_seconds if state else 0,
                "terminated": state.terminated if state else False,
                "location": cmi.get("cmi.location", cmi.get("cmi.core.lesson_location", "")),
                "suspend_data": cmi.get("cmi.suspend_data", ""),
                "updated_at": state.updated_at if state else None,
            }
        )
    return out
