"""The person-by-person reading of training effectiveness (the implementation before
issue 18 made each figure one grouped query): every visible record and deviation is
loaded and walked in Python. Kept only as the reference the grouped queries are
compared with (tests/quality/test_effectiveness_grouped.py); its cost grows with the
records, which is why the product no longer uses it."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db.models import QuerySet

from qualify.quality.models import CapaAction, CapaActionTarget
from qualify.quality.queries.effectiveness import AttemptReader, Effectiveness


def _passed(record) -> bool:
    mark = record.requirement.pass_mark if record.requirement.pass_mark is not None else None
    mark = mark if mark is not None else record.pass_mark
    return record.score is not None and mark is not None and record.score >= mark


def first_attempts(
    records: QuerySet, attempts: AttemptReader | None = None
) -> dict[tuple[int, int], tuple[object, bool]]:
    """(person, requirement) -> (first attempt, passed). Requirements `attempts`
    answers for (those with an assessment) are read from its attempt rows; the others
    from the first scored record."""
    covered, out = attempts(records) if attempts is not None else (set(), {})
    out = dict(out)
    scored = (
        records.filter(score__isnull=False)
        .exclude(requirement_id__in=covered)
        .select_related("requirement")
    )
    for record in scored.order_by("completed_at", "pk"):
        key = (record.person_id, record.requirement_id)
        if key not in out:
            out[key] = (record, _passed(record))
    return out


def reference_effectiveness(
    records: QuerySet,
    deviations: QuerySet,
    *,
    days: int = 90,
    attempts: AttemptReader | None = None,
) -> list[Effectiveness]:
    """Figures per document and per trainer from the visible `records` and
    `deviations` (the caller restricts both). `attempts`: the assessment app's reader
    of first attempts (qualify.assessments.queries.first_attempts; this layer may not
    import it, so the caller passes it in)."""
    window = dt.timedelta(days=days)
    records = records.filter(superseded_by__isnull=True).select_related(
        "requirement__document", "trainer"
    )
    rows: dict[tuple[str, int], Effectiveness] = {}

    def row(kind: str, key: int, label: str) -> Effectiveness:
        found = rows.get((kind, key))
        if found is None:
            found = rows[(kind, key)] = Effectiveness(kind, key, label)
        return found

    def groups(record) -> Iterable[Effectiveness]:
        document = record.requirement.document
        if document is not None:
            yield row("document", document.pk, f"{document.number} {document.title}")
        if record.trainer is not None:
            yield row("trainer", record.trainer_id, record.trainer.full_name)

    for record, passed in first_attempts(records, attempts).values():
        for group in groups(record):
            group.assessed += 1
            group.first_passed += int(passed)
    # Deviations within N days after a training of the person (on the document, or
    # by the trainer), each deviation counted once per group.
    deviation_rows = list(deviations.prefetch_related("people", "documents"))
    by_person: dict[int, list] = defaultdict(list)
    for deviation in deviation_rows:
        for person in deviation.people.all():
            by_person[person.pk].append(deviation)
    counted: set[tuple[str, int, int]] = set()
    trained: set[tuple[str, int, int]] = set()
    for record in records:
        for group in groups(record):
            if (group.kind, group.key, record.person_id) not in trained:
                trained.add((group.kind, group.key, record.person_id))
                group.trained += 1
            for deviation in by_person.get(record.person_id, ()):
                if not record.completed_at <= deviation.occurred_at < record.completed_at + window:
                    continue
                if group.kind == "document" and group.key not in {
                    d.pk for d in deviation.documents.all()
                }:
                    continue
                if (group.kind, group.key, deviation.pk) not in counted:
                    counted.add((group.kind, group.key, deviation.pk))
                    group.deviations += 1
    # CAPA recurrence after retraining (per document of the retraining requirement).
    actions = CapaAction.objects.filter(
        training_completed_at__isnull=False, requirement__document__isnull=False
    ).select_related("requirement__document")
    for action in actions:
        document = action.requirement.document
        group = row("document", document.pk, f"{document.number} {document.title}")
        people = set(action.targets.values_list("person_id", flat=True))
        group.retrainings += 1
        if any(
            deviation.occurred_at > action.training_completed_at
            and document.pk in {d.pk for d in deviation.documents.all()}
            for person in people
            for deviation in by_person.get(person, ())
        ):
            group.recurred += 1
    _recurrence_per_trainer(records, by_person, row)
    return sorted(rows.values(), key=lambda r: (r.kind, r.label))


def _recurrence_per_trainer(records: QuerySet, by_person: dict, row: Callable) -> None:
    """P71: CAPA recurrence after retraining per trainer. A CAPA retraining action
    whose training was completed counts once for each trainer who trained one of its
    people (the trainer of the record that completed the person's retraining, among
    the visible `records`); it recurred for that trainer when a person they retrained
    was named afterwards in a deviation, on the retraining's document when it has one
    (the same rule as per document)."""
    targets = (
        CapaActionTarget.objects.filter(
            action__training_completed_at__isnull=False,
            assignment__record__in=records.filter(trainer__isnull=False),
        )
        .select_related("action__requirement", "assignment__record__trainer")
        .order_by("action_id", "pk")
    )
    seen: dict[tuple[int, int], bool] = {}  # (trainer, action) -> recurred
    for target in targets:
        action, trainer = target.action, target.assignment.record.trainer
        group = row("trainer", trainer.pk, trainer.full_name)
        key = (trainer.pk, action.pk)
        if key not in seen:
            seen[key] = False
            group.retrainings += 1
        document_id = action.requirement.document_id if action.requirement else None
        recurred = any(
            deviation.occurred_at > action.training_completed_at
            and (document_id is None or document_id in {d.pk for d in deviation.documents.all()})
            for deviation in by_person.get(target.person_id, ())
        )
        if recurred and not seen[key]:
            seen[key] = True
            group.recurred += 1
