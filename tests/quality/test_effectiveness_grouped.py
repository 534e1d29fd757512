"""Training effectiveness as grouped queries (issue 18, P161): the figures per document
and per trainer are the same as the person-by-person reading of every record and
deviation (tests/quality/effectiveness_reference.py) on random small histories, and
the number of queries does not grow with the records."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualify.documents.models import Document
from qualify.quality.models import Deviation
from qualify.quality.queries.effectiveness import effectiveness
from qualify.training.models import TrainingRecord
from qualify.web.coordinator import queries as coordinator_queries
from tests.quality.effectiveness_reference import reference_effectiveness
from tests.quality.test_effectiveness_per_trainer import deviation, retrained  # noqa: F401
from tests.training.engine_history import History, day
from tests.web.query_counts import fewest_queries

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P161")]
# The session, the navigation and the ten queries of the figures (20 when written).
QUERIES_OF_THE_PAGE = 24

MARKS = st.sampled_from([None, Decimal("50"), Decimal("80")])
SCORES = st.sampled_from([None, Decimal("40"), Decimal("50"), Decimal("85")])

record_spec = st.fixed_dictionaries(
    {
        "person": st.integers(0, 3),
        "requirement": st.integers(0, 3),
        "completed": st.integers(0, 20),
        "noon": st.booleans(),
        "score": SCORES,
        "pass_mark": MARKS,
        "trainer": st.sampled_from([None, 0, 1]),
        "supersedes": st.one_of(st.none(), st.integers(0, 9)),
    }
)
deviation_spec = st.fixed_dictionaries(
    {
        "occurred": st.integers(0, 45),
        "noon": st.booleans(),
        "people": st.sets(st.integers(0, 3), max_size=3),
        "documents": st.sets(st.integers(0, 2), max_size=2),
    }
)
history_spec = st.fixed_dictionaries(
    {
        # Which document (or none) each of four requirements trains on, and its mark.
        "requirements": st.lists(
            st.tuples(st.sampled_from([None, 0, 1, 2]), MARKS), min_size=4, max_size=4
        ),
        "records": st.lists(record_spec, max_size=10),
        "deviations": st.lists(deviation_spec, max_size=4),
        "days": st.integers(1, 30),
        "visible_people": st.sets(st.integers(0, 3), min_size=1),
    }
)


def figures(rows):
    return sorted(
        (
            *(r.kind, r.key, r.label, r.assessed, r.first_passed, r.trained),
            *(r.deviations, r.retrainings, r.recurred),
        )
        for r in rows
    )


def build(spec):
    h = History()
    documents = [h.document() for _ in range(3)]
    trainers = [h.person("trainer") for _ in range(2)]
    people = [h.person() for _ in range(4)]
    requirements = [
        h.requirement(None if d is None else documents[d], pass_mark=mark)
        for d, mark in spec["requirements"]
    ]
    records, superseded = [], set()
    for r in spec["records"]:
        earlier = r["supersedes"]
        replaces = None
        if earlier is not None and earlier < len(records) and earlier not in superseded:
            superseded.add(earlier)
            replaces = records[earlier]
        trainer = None if r["trainer"] is None else trainers[r["trainer"]]
        records.append(
            h.record(
                people[r["person"]],
                requirements[r["requirement"]],
                completed=day(r["completed"], hours=12 if r["noon"] else 0),
                score=r["score"],
                pass_mark=r["pass_mark"],
                trainer=trainer,
                supersedes=replaces,
                sign=False,
            )
        )
    for n, d in enumerate(spec["deviations"]):
        when = day(d["occurred"], hours=12 if d["noon"] else 0)
        row = Deviation.objects.create(
            number=f"DEV-{h.site.code}-{n}",
            site=h.site,
            occurred_at=when,
            recorded_at=when,
            description="Line clearance skipped",
        )
        row.people.set([people[i] for i in d["people"]])
        row.documents.set([documents[i] for i in d["documents"]])
    visible = TrainingRecord.objects.filter(
        person__in=[people[i] for i in spec["visible_people"]]
    ).select_related("person", "requirement", "trainer")
    return visible, Deviation.objects.filter(site=h.site)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=history_spec)
def test_the_grouped_figures_agree_with_the_person_by_person_reading(db, spec):
    """Random histories of scored and unscored records, corrections, trainers and
    deviations naming people and documents: every figure of every row is the same,
    for a reader who sees only some people's records."""
    with transaction.atomic():
        records, deviations = build(spec)
        days = spec["days"]
        expected = figures(reference_effectiveness(records, deviations, days=days))
        assert figures(effectiveness(records, deviations, days=days)) == expected
        transaction.set_rollback(True)


def test_capa_recurrence_agrees_with_the_person_by_person_reading(plant, retrained):  # noqa: F811
    """A CAPA retraining by a trainer, with deviations before it, after it on its
    document and after it on another: the grouped and the reference figures match,
    per document and per trainer."""
    _tom, document, sean, una = retrained
    other = plant.document("SOP-078")
    plant.approve(plant.revise(other, "1"))
    records, deviations = TrainingRecord.objects.all(), Deviation.objects.all()
    for number, person, on in (("0001", sean, other), ("0002", una, document)):
        before = figures(reference_effectiveness(records, deviations, days=30))
        assert figures(effectiveness(records, deviations, days=30)) == before
        deviation(plant, f"DEV-2026-{number}", person, on)
    earlier = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    deviation(plant, "DEV-2026-0003", sean, document, occurred_at=earlier)
    expected = figures(reference_effectiveness(records, deviations, days=30))
    assert [r[-2:] for r in expected if r[0] == "trainer" and r[-2]] == [(1, 1)]
    assert figures(effectiveness(records, deviations, days=30)) == expected


def test_the_queries_do_not_grow_with_the_records(django_assert_num_queries):
    """Ten queries for a history of three records, and the same for thirty."""
    h = History()
    trainer, document = h.person("trainer"), h.document()
    requirement = h.requirement(document, pass_mark=Decimal("80"))
    for size in (3, 30):
        while TrainingRecord.objects.count() < size:
            person = h.person()
            h.record(person, requirement, completed=day(1), score=Decimal("90"), trainer=trainer)
        with django_assert_num_queries(10):
            rows = effectiveness(TrainingRecord.objects.all(), Deviation.objects.all(), days=30)
        assert [(r.kind, r.trained, r.assessed) for r in rows] == [
            ("document", size, size),
            ("trainer", size, size),
        ]


def documents_trained(h: History, trainer, size: int) -> None:
    """Documents up to `size`, each with a scored record trained by `trainer`."""
    while Document.objects.count() < size:
        requirement = h.requirement(h.document(), pass_mark=Decimal("80"))
        h.record(h.person(), requirement, completed=day(1), score=Decimal("90"), trainer=trainer)


def test_the_page_shows_fifty_documents_a_page_in_the_same_queries(
    client, coordinator, monkeypatch
):
    """Issue 18: the page lists 50 documents a page (every row is in the report), and
    asks the same number of queries for 3 documents as for 60."""
    from django.urls import reverse

    # Every view computes (P169 remembers figures; History's rows record no event).
    monkeypatch.setattr(coordinator_queries, "EFFECTIVENESS_SECONDS", 0)
    h = History()
    trainer = h.person("trainer")
    client.force_login(coordinator)
    client.get(reverse("web:coordinator_effectiveness"))  # the session's first reads
    asked = []
    for size in (3, 60):
        documents_trained(h, trainer, size)
        url = reverse("web:coordinator_effectiveness")
        page, queries = fewest_queries(client, url, {"days": "30"})
        asked.append(queries)
        text = page.content.decode()
        shown = text[text.index("Per document") : text.index("Per trainer")].count("<tr><td>")
        assert shown == min(size, 50)
    assert asked[0] == asked[1] <= QUERIES_OF_THE_PAGE
    assert "Page 1 of 2 (60 rows)" in text
    last = client.get(reverse("web:coordinator_effectiveness"), {"days": "30", "page": "2"})
    text = last.content.decode()
    assert text[text.index("Per document") : text.index("Per trainer")].count("<tr><td>") == 10
