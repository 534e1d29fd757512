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
