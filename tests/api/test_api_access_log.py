"""P152: every GET of the API names the GxP records it answered with in the access log,
whether the view is a generic list or retrieve view or one of the project's own."""

import pytest

from qualify.audit import access
from qualify.audit.models import AccessEvent
from tests.api.conftest import session

pytestmark = [pytest.mark.requirement("P152"), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _rate(settings):
    settings.QUALIFY_API_RATE = "10000/min"


def _logged(path: str) -> list[tuple[str, str, str]]:
    return sorted(
        (e.object_type, e.object_id, e.data.get("view", "detail"))
        for e in AccessEvent.objects.filter(entry__contains=f'"path":"{path}"')
    )


def test_a_view_of_its_own_logs_the_record_it_answered_with(plant, auditor):
    """The site endpoint builds its answer itself (no generic retrieve view)."""
    site = plant.site
    path = f"/api/v1/org/sites/{site.code}/"
    response = session(auditor).get(path)
    assert response.status_code == 200
    assert response.json()["code"] == site.code
    assert _logged(path) == [("org.site", str(site.pk), "detail")]
    assert access.verify_access_log() == []


def test_a_generic_list_logs_each_record_once(plant, auditor):
    """The list view noted its records already; the answer's own note adds none."""
    documents = [plant.document(f"SOP-{n}") for n in (1, 2)]
    response = session(auditor).get("/api/v1/documents/")
    assert response.status_code == 200
    assert _logged("/api/v1/documents/") == sorted(
        ("documents.document", str(d.pk), "list") for d in documents
    )


def test_a_refused_read_logs_nothing(plant, employee):
    """Only what was answered: a 403 or a 404 names nothing."""
    assert session(employee).get("/api/v1/org/sites/NOPE/").status_code in (403, 404)
    assert not AccessEvent.objects.exists()
