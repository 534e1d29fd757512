"""The engine reads rows with its own queries (engine.sql): what it reads must equal
what the ORM reads, and the signature hash it computes from a row must equal
signatures.services.content_hash of the model instance (S1)."""

import datetime as dt
from decimal import Decimal

import pytest

from qualify.documents.models import DocumentVersion
from qualify.signatures.models import Signature
from qualify.signatures.services import content_hash
from qualify.training import engine
from qualify.training.engine.facts import Facts
from qualify.training.models import Evidence, Method, Requirement, TrainingRecord
from tests.training.engine_history import History, day

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("S1")]


def same_fields(loaded, stored) -> None:
    assert type(loaded) is type(stored)
    assert loaded._state.adding is False
    assert loaded._state.db == stored._state.db
    assert loaded.get_deferred_fields() <= {"checklist", "content_text", "change_summary",
                                            "editorial_justification"}  # fmt: skip
    for field in stored._meta.concrete_fields:
        if field.attname in loaded.get_deferred_fields():
            continue
        mine, theirs = getattr(loaded, field.attname), getattr(stored, field.attname)
        assert mine == theirs, field.attname
        assert type(mine) is type(theirs), field.attname
        if isinstance(theirs, dt.datetime):
            assert mine.tzinfo == theirs.tzinfo, field.attname


@pytest.mark.parametrize("method", [m.value for m in Method])
def test_row_hash_equals_content_hash_for_every_method(method):
    h = History()
    doc = h.document(versions=[(0, True), (10, False)], store_baseline=True)
    teach = h.requirement(method=Method.EXTERNAL)
    requirement = h.requirement(
        doc,
        method=method,
        evidence_required=Evidence.ASSESSMENT,
        pass_mark=Decimal("80.5"),
        trainer_requirement=teach,
        recurrence_months=12,
    )
    person, trainer = h.person("p"), h.person("t")
    needs_trainer = method in (Method.CLASSROOM, Method.ON_THE_JOB)
    first = h.record(
        person, requirement, completed=day(11, hours=3.25), recorded=day(12),
        version=h.version(doc, 2), trainer=trainer if needs_trainer else None,
        evidence=Evidence.ASSESSMENT, score=Decimal("91.25"), pass_mark=Decimal("80"),
    )  # fmt: skip
    correction = TrainingRecord.objects.create(
        person=person,
        requirement=requirement,
        document_version=h.version(doc, 1),
        method=method,
        completed_at=day(11, hours=3.25),
        recorded_at=day(13),
        attested_at=day(11),
        evidence=Evidence.DEMONSTRATION,
        score=Decimal("85"),
        trainer=trainer if needs_trainer else None,
        evidence_file="training/evidence/sheet.pdf",
        evidence_sha256="ab" * 32,
        notes="Ünïcode “quoted”",
        supersedes=first,
        correction_reason="score mistyped",
        entered_by=h.owner,
    )
    correction.refresh_from_db()
    h.signature(correction, person.user, "read_and_understood", day(13))
    if needs_trainer:
        h.signature(correction, trainer.user, "trained_by", day(13))
    # Known now, the correction counts; as known at day 12, the record it corrects.
    for known, expected in [(None, correction), (day(12, hours=12), first)]:
        facts = Facts(known)
        facts.add_people([person])
        facts.load([(person.pk, requirement.pk)])
        (row,) = facts.records[(person.pk, requirement.pk)]
        assert row.pk == expected.pk
        stored = TrainingRecord.objects.get(pk=expected.pk)
        assert facts.content_hash(row) == content_hash(stored)
        same_fields(facts.record_instance(row), stored)
        assert row.signatures
        for signature in row.signatures:
            same_fields(facts.signature_instance(signature), Signature.objects.get(pk=signature.pk))
    (answer,) = engine.document_qualification(person, doc, at=day(14)).requirements
    stored = TrainingRecord.objects.get(pk=correction.pk)
    assert answer.record.pk == correction.pk
    assert [s.role for s in answer.signatures] == ["trainee", "trainer"][: 1 + needs_trainer]
    assert all(s.valid for s in answer.signatures)
    same_fields(answer.record, stored)
    same_fields(answer.requirement, Requirement.objects.defer("checklist").get(pk=requirement.pk))


@pytest.mark.parametrize("method", [m.value for m in Method])
def test_row_hash_equals_content_hash_of_every_loaded_record(method):
    h = History()
    doc = h.document(versions=[(0, True)])
    requirement = h.requirement(doc, method=method)
    person, trainer = h.person("p"), h.person("t")
    made = [
        h.record(
            person,
            requirement,
            completed=day(n, hours=n / 7),
            recorded=day(n + 1),
            trainer=trainer,
            score=score,
            pass_mark=mark,
        )
        for n, score, mark in [
            (1, None, None),
            (2, Decimal("0"), Decimal("100")),
            (3, Decimal("99.99"), None),
        ]
    ]
    facts = Facts()
    facts.load([(person.pk, requirement.pk)])
    loaded = {r.pk: r for r in facts.records[(person.pk, requirement.pk)]}
    assert set(loaded) == {r.pk for r in made}
    for record in made:
        stored = TrainingRecord.objects.get(pk=record.pk)
        assert facts.content_hash(loaded[record.pk]) == content_hash(stored)
        assert [s.content_hash for s in loaded[record.pk].signatures] == [
            s.content_hash
            for s in Signature.objects.filter(object_id=str(record.pk)).order_by("signed_at", "pk")
        ]


def test_versions_and_answers_hold_model_instances_equal_to_the_orm():
    h = History()
    doc = h.document(versions=[(0, True), (10, False), (20, True, 25)], store_baseline=True)
    requirement = h.requirement(doc)
    person = h.person()
    h.record(person, requirement, completed=day(11), version=h.version(doc, 2))
    (answer,) = engine.check_many([(person, doc)], at=day(15))
    assert answer.qualified
    deferred = ("content_text", "change_summary", "editorial_justification")
    stored = DocumentVersion.objects.defer(*deferred).get(pk=answer.effective_version.pk)
    same_fields(answer.effective_version, stored)
    assert str(answer.effective_version) == str(stored)
    assert (
        answer.effective_version.content_text
        == stored.document.versions.get(pk=stored.pk).content_text
    )  # deferred, loaded on access
    (ra,) = answer.requirements
    same_fields(ra.version, DocumentVersion.objects.defer(*deferred).get(pk=ra.version.pk))
    assert ra.record.person is person
    assert str(ra.record) == str(TrainingRecord.objects.get(pk=ra.record.pk))
