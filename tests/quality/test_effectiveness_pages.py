"""Training effectiveness a page at a time (issue 18, P168): the page lists the same
documents and trainers, in the same order, as the full answer (the report), and the
figures it asks for a page's keys only are exactly the full answer's rows for them;
the figures of other keys are not computed, so the page's cost follows the page."""

from types import SimpleNamespace

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualify.org.models import Person
from qualify.quality.models import Deviation
from qualify.quality.queries import effectiveness as module
from qualify.quality.queries.effectiveness import effectiveness, subjects
from qualify.training.models import Requirement, TrainingRecord
from qualify.web.coordinator import queries as coordinator_queries
from tests.quality.test_effectiveness_grouped import (
    build,
    documents_trained,
    figures,
    history_spec,
)
from tests.quality.test_effectiveness_per_trainer import deviation, retrained  # noqa: F401
from tests.training.engine_history import History
from tests.web.query_counts import fewest_queries

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P168")]

# A stand-in for the assessment app's reader: first attempts naming any requirement
# and any person as trainer, also people with no visible record (an attempt's own
# record need not be visible or current).
attempt_spec = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(-1, 9), st.booleans()),
    max_size=4,
)


def reader(spec):
    def read(records):
        requirements = list(Requirement.objects.order_by("pk"))
        people = list(Person.objects.order_by("pk"))
        out = {}
        for person, requirement, trainer, passed in spec:
            who = None if trainer < 0 else people[trainer % len(people)]
            first = SimpleNamespace(
                requirement=requirements[requirement],
                trainer_id=None if who is None else who.pk,
            )
            out[(people[person].pk, requirements[requirement].pk)] = (first, passed)
        return {requirements[r].pk for _, r, _, _ in spec}, out

    return read


def listed(rows, kind):
    return [(r.label, r.key) for r in rows if r.kind == kind]


def assert_pages_agree(records, deviations, days, attempts, size):
    """Every page of `size` rows of each table: the listed subjects are the full
    answer's rows in its order, and the page's figures are its rows."""
    full = effectiveness(records, deviations, days=days, attempts=attempts)
    found = subjects(records, attempts=attempts)
    assert [tuple(s) for s in found.documents] == listed(full, "document")
    assert [tuple(s) for s in found.trainers] == listed(full, "trainer")
    pages = max(len(found.documents), len(found.trainers), 1)
    for start in range(0, pages, size):
        documents = [s.key for s in found.documents[start : start + size]]
        trainers = [s.key for s in found.trainers[start : start + size]]
        page = found.figures(deviations, days=days, documents=documents, trainers=trainers)
        wanted = {("document", k) for k in documents} | {("trainer", k) for k in trainers}
        assert figures(page) == figures(r for r in full if (r.kind, r.key) in wanted)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=history_spec, attempts=st.one_of(st.none(), attempt_spec), size=st.integers(1, 3))
def test_a_page_of_subjects_and_its_figures_are_the_full_answers(db, spec, attempts, size):
    """Random histories (scored and unscored records, corrections, trainers,
    deviations, first attempts read from assessments), a reader who sees only some
    people's records, pages of one to three rows: the page lists exactly the full
    answer's documents and trainers in its order, and each page's figures are the
    full answer's rows for that page's keys, figure by figure."""
    with transaction.atomic():
        records, deviations = build(spec)
        read = None if attempts is None else reader(attempts)
        assert_pages_agree(records, deviations, spec["days"], read, size)
        transaction.set_rollback(True)


def test_capa_retrainings_give_rows_to_pages_too(plant, retrained):  # noqa: F811
    """A CAPA retraining gives its document a row whoever's records are visible
    (a reader who sees none of them still lists it) and its trainer one; with
    deviations after it, each page's figures are the full answer's rows."""
    _tom, document, sean, una = retrained
    deviations = Deviation.objects.all()
    nobody = TrainingRecord.objects.none()
    found = subjects(nobody)
    assert [s.key for s in found.documents] == [document.pk]
    assert found.trainers == []
    assert_pages_agree(nobody, deviations, 30, None, 1)
    deviation(plant, "DEV-2026-0001", sean, document)
    deviation(plant, "DEV-2026-0002", una, plant.document("SOP-078"))
    assert_pages_agree(TrainingRecord.objects.all(), deviations, 30, None, 1)


def test_the_page_computes_figures_for_its_own_rows_only(client, coordinator, monkeypatch):
    """60 documents trained by one trainer: the first page's figures are computed
    for its 50 documents and its trainer, not for the other 10 (their rows are on
    page 2 and in the report), and the page asks as many queries as for 3 documents."""
    # Every view computes (P169 remembers figures; History's rows record no event).
    monkeypatch.setattr(coordinator_queries, "EFFECTIVENESS_SECONDS", 0)
    h = History()
    trainer = h.person("trainer")
    client.force_login(coordinator)
    url = reverse("web:coordinator_effectiveness")
    client.get(url)  # the session's first reads
    asked = []
    for size in (3, 60):
        documents_trained(h, trainer, size)
        asked.append(fewest_queries(client, url, {"days": "30"})[1])
    assert asked[0] == asked[1]
    computed = set()
    add = module._Rows.add

    def spy(rows, kind, key, **figures):
        computed.add((kind, key))
        add(rows, kind, key, **figures)

    monkeypatch.setattr(module._Rows, "add", spy)
    page = client.get(url, {"days": "30"})
    text = page.content.decode()
    shown = text[text.index("Per document") : text.index("Per trainer")].count("<tr><td>")
    assert shown == 50
    assert "Page 1 of 2 (60 rows)" in text
    assert len([k for k in computed if k[0] == "document"]) == 50
    assert {k for k in computed if k[0] == "trainer"} == {("trainer", trainer.pk)}
