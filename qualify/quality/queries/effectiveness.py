"""Training effectiveness (issue 14 point 6; ISO 13485 6.2(d), 21 CFR 820 QMSR): per
document and per trainer,

- first-attempt pass rate: of the people assessed, how many passed their first scored
  attempt (the earliest training record of the requirement with a score; a failed
  attempt is a record too), or, for a requirement with an assessment, the person's
  first assessment attempt (qualify.assessments' Attempt rows, passed or not, read by
  the reader the caller passes in). `FIRST_ATTEMPTS` is the one place that reads them;
- deviations attributed: deviations naming a person and the document (or, per
  trainer, a person they trained) that occurred within N days after that training;
- CAPA recurrence after retraining: CAPA retraining actions whose training was
  completed, and how many of them saw a deviation on the same document involving one
  of the retrained people afterwards; per trainer (P71), the actions in which the
  trainer retrained someone, and how many of them saw such a deviation involving one
  of the people that trainer retrained.

Reads only, through the same rows for the page and the report.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from qualify.documents.models import Document
from qualify.org.models import Person
from qualify.quality.models import CapaAction, CapaActionTarget, Deviation


@dataclass
class Effectiveness:
    kind: str  # "document" or "trainer"
    key: int
    label: str
    assessed: int = 0
    first_passed: int = 0
    trained: int = 0
    deviations: int = 0
    retrainings: int = 0
    recurred: int = 0

    @property
    def pass_rate(self) -> float | None:
        return self.first_passed / self.assessed if self.assessed else None


# An assessment app's reader: (records) -> (requirement ids it answers for,
# {(person, requirement): (row, passed)}); rows carry requirement, trainer, trainer_id.
AttemptReader = Callable[[QuerySet], tuple[set[int], dict]]

# Each figure is grouped by one column of the visible records: the requirement's
# document, or the trainer.
_GROUPS = (("document", "requirement__document_id"), ("trainer", "trainer_id"))


def first_attempts(records: QuerySet, covered: Iterable[int] = ()) -> QuerySet:
    """The first scored record of each (person, requirement) among `records`, for the
    requirements not `covered` by an assessment reader: no scored record of the same
    pair among them is earlier (by completion time, then id). A failed attempt is a
    record too. `FIRST_ATTEMPTS` is the one place that reads them."""
    earlier = records.filter(
        person_id=OuterRef("person_id"),
        requirement_id=OuterRef("requirement_id"),
        score__isnull=False,
    ).filter(
        Q(completed_at__lt=OuterRef("completed_at"))
        | Q(completed_at=OuterRef("completed_at"), pk__lt=OuterRef("pk"))
    )
    return (
        records.filter(score__isnull=False)
        .exclude(requirement_id__in=list(covered))
        .filter(~Exists(earlier))
        .annotate(mark=Coalesce(F("requirement__pass_mark"), F("pass_mark")))
    )


FIRST_ATTEMPTS: Callable[..., QuerySet] = first_attempts
# Passed: a score at or above the requirement's pass mark, else the record's own.
_PASSED = Q(mark__isnull=False, score__gte=F("mark"))


class _Rows(dict):
    """(kind, key) -> Effectiveness, labelled once all keys are known."""

    def add(self, kind: str, key: int, **figures: int) -> None:
        found = self.get((kind, key))
        if found is None:
            found = self[(kind, key)] = Effectiveness(kind, key, "")
        for name, value in figures.items():
            setattr(found, name, getattr(found, name) + value)

    def labelled(self) -> list[Effectiveness]:
        keys = {kind: [k for (g, k) in self if g == kind] for kind, _ in _GROUPS}
        labels = {
            ("document", pk): _document_label(number, title)
            for pk, number, title in Document.objects.filter(pk__in=keys["document"])
            .order_by()
            .values_list("pk", "number", "title")
        }
        labels.update(
            (("trainer", pk), name)
            for pk, name in Person.objects.filter(pk__in=keys["trainer"])
            .order_by()
            .values_list("pk", "full_name")
        )
        for key, row in self.items():
            row.label = labels[key]
        return sorted(self.values(), key=lambda r: (r.kind, r.label, r.key))


def effectiveness(
    records: QuerySet,
    deviations: QuerySet,
    *,
    days: int = 90,
    attempts: AttemptReader | None = None,
    documents: Iterable[int] | None = None,
    trainers: Iterable[int] | None = None,
) -> list[Effectiveness]:
    """Figures per document and per trainer from the visible `records` and
    `deviations` (the caller restricts both). `attempts`: the assessment app's reader
    of first attempts (qualify.assessments.queries.first_attempts; this layer may not
    import it, so the caller passes it in). Issue 18: each figure is one grouped
    query, so the cost follows the groups, not the records.

    `documents` and `trainers`, when given, are the only keys of that kind to answer
    for (a page of `subjects`): every grouped query is filtered by them, so a page
    costs what its rows cost; each of their rows is the full answer's row."""
    window = dt.timedelta(days=days)
    records = records.filter(superseded_by__isnull=True).order_by()
    only = {"document": _keys(documents), "trainer": _keys(trainers)}
    rows = _Rows()
    covered, read = attempts(records) if attempts is not None else (set(), {})
    # Bounded by the attempts at assessments, not by the records.
    for first, passed in read.values():
        for kind, key in (
            ("document", first.requirement.document_id),
            ("trainer", first.trainer_id),
        ):
            if key is not None and (only[kind] is None or key in only[kind]):
                rows.add(kind, key, assessed=1, first_passed=int(passed))
    firsts = FIRST_ATTEMPTS(records, covered)
    # The people named in visible deviations. Asked as EXISTS, not IN: SQLite drove
    # the join from an IN list of deviations and probed every deviation for every
    # record (31 s with 2,000 deviations on the medium plant; 0.7 s this way).
    people = Deviation.people.through.objects.filter(
        Exists(deviations.filter(pk=OuterRef("deviation_id")))
    )
    # The visible records of the people deviations name: the subquery stays as small
    # as the deviations (the whole of `records` was materialised even for none).
    named = records.filter(person_id__in=people.values("person_id"))
    for kind, column in _GROUPS:
        present = {f"{column}__isnull": False}
        if only[kind] is not None:
            # Filtered after the first attempt is chosen among all of a person's
            # records: an earlier attempt under another trainer still comes first.
            present[f"{column}__in"] = only[kind]
        for key, assessed, passed in _grouped(
            firsts.filter(**present),
            column,
            assessed=Count("pk"),
            first_passed=Count("pk", filter=_PASSED),
        ):
            rows.add(kind, key, assessed=assessed, first_passed=passed)
        for key, trained in _grouped(
            records.filter(**present), column, trained=Count("person_id", distinct=True)
        ):
            rows.add(kind, key, trained=trained)
        # Deviations naming a person within N days after their training (on the
        # document, or by the trainer), each deviation counted once per group.
        via = f"person__training_records__{column}"
        involved = people.filter(
            person__training_records__in=named if only[kind] is None else named.filter(**present),
            person__training_records__completed_at__lte=F("deviation__occurred_at"),
            person__training_records__completed_at__gt=F("deviation__occurred_at") - window,
            **(
                {"deviation__documents": F(via)}
                if kind == "document"
                else {f"{via}__isnull": False}
            ),
        )
        for key, count in _grouped(involved, via, deviations=Count("deviation_id", distinct=True)):
            rows.add(kind, key, deviations=count)
    _recurrence_per_document(people, rows, only["document"])
    _recurrence_per_trainer(records, people, rows, only["trainer"])
    return rows.labelled()


def _keys(given: Iterable[int] | None) -> set[int] | None:
    return None if given is None else set(given)


def _document_label(number: str, title: str) -> str:
    return f"{number} {title}"


class Subject(NamedTuple):
    label: str
    key: int


@dataclass
class Subjects:
    """The documents and trainers the full answer of `effectiveness` has rows for, in
    its order (label, key), without their figures (issue 18): a page takes its keys
    from here and asks `figures` for those keys only."""

    records: QuerySet
    documents: list[Subject]
    trainers: list[Subject]
    read: tuple  # the attempts reader's answer, asked once for both steps

    def figures(
        self, deviations: QuerySet, *, days: int, documents: Iterable[int], trainers: Iterable[int]
    ) -> list[Effectiveness]:
        return effectiveness(
            self.records,
            deviations,
            days=days,
            attempts=lambda _records: self.read,
            documents=documents,
            trainers=trainers,
        )


def subjects(records: QuerySet, *, attempts: AttemptReader | None = None) -> Subjects:
    """Who has a row in `effectiveness(records, ...)`, from one query per kind that
    asks whether a row exists (EXISTS) rather than computing its figures.
    Every figure of a row comes from one of these, whatever the deviations and days:

    - a document: a visible current record of one of its requirements (people trained;
      first attempts, assessment attempts and records named by deviations are such
      records), or a completed CAPA retraining on it (counted whatever the records);
    - a trainer: a visible current record they trained (first attempts, records named
      by deviations and CAPA retrainings per trainer are such records), or the trainer
      of a first assessment attempt (its own record, which need not be visible)."""
    current = records.filter(superseded_by__isnull=True).order_by()
    read = attempts(current) if attempts is not None else (set(), {})
    # The same records, "not superseded" asked as NOT EXISTS: PostgreSQL estimated
    # the LEFT JOIN ... IS NULL above at 1 row of 80,000 and JIT-compiled the plan
    # it chose for so few (2.8 s on the medium plant).
    corrected = records.model.objects.filter(supersedes=OuterRef("pk"))
    probed = records.filter(~Exists(corrected)).order_by()
    attempted: dict[str, set[int]] = {"document": set(), "trainer": set()}
    for first, _passed in read[1].values():
        if first.requirement.document_id is not None:
            attempted["document"].add(first.requirement.document_id)
        if first.trainer_id is not None:
            attempted["trainer"].add(first.trainer_id)
    # The EXISTS in the select list, not OR-ed in WHERE (which PostgreSQL can only
    # hash): SQLite probes the indexes per document; PostgreSQL probes or hashes the
    # current records once, by cost (on the medium plant it hashes them).
    documents = Document.objects.annotate(
        trained=Exists(probed.filter(requirement__document_id=OuterRef("pk"))),
        retrained=Exists(_retraining_actions().filter(requirement__document_id=OuterRef("pk"))),
    ).values_list("pk", "number", "title", "trained", "retrained")
    # Those who trained anyone are few and read from the trainer index; a first
    # attempt's trainer may have trained no visible record.
    who = Q(pk__in=records.model.objects.filter(trainer__isnull=False).values("trainer_id"))
    if attempted["trainer"]:
        who |= Q(pk__in=attempted["trainer"])
    trainers = (
        Person.objects.filter(who)
        .annotate(trained=Exists(probed.filter(trainer_id=OuterRef("pk"))))
        .values_list("pk", "full_name", "trained")
    )
    return Subjects(
        records,
        sorted(
            Subject(_document_label(number, title), pk)
            for pk, number, title, trained, retrained in documents.order_by()
            if trained or retrained or pk in attempted["document"]
        ),
        sorted(
            Subject(name, pk)
            for pk, name, trained in trainers.order_by()
            if trained or pk in attempted["trainer"]
        ),
        read,
    )


def _grouped(rows: QuerySet, column: str, **figures) -> list[tuple]:
    return list(rows.order_by().values(column).annotate(**figures).values_list(column, *figures))


def _recurrence_per_document(people: QuerySet, rows: _Rows, only: set[int] | None) -> None:
    """CAPA retraining actions whose training was completed, per document of the
    retraining requirement, and how many saw a deviation on that document naming one
    of the retrained people afterwards."""
    later = people.filter(
        person_id__in=CapaActionTarget.objects.filter(action_id=OuterRef(OuterRef("pk"))).values(
            "person_id"
        ),
        deviation__occurred_at__gt=OuterRef("training_completed_at"),
        deviation__documents=OuterRef("requirement__document_id"),
    )
    actions = _retraining_actions()
    if only is not None:
        actions = actions.filter(requirement__document_id__in=only)
    for key, retrainings, recurred in _grouped(
        actions,
        "requirement__document_id",
        retrainings=Count("pk"),
        recurred=Count("pk", filter=Q(Exists(later))),
    ):
        rows.add("document", key, retrainings=retrainings, recurred=recurred)


def _retraining_actions() -> QuerySet:
    """The CAPA retraining actions counted per document: completed, on a document.
    Not restricted by the visible records (each gives its document a row)."""
    return CapaAction.objects.filter(
        training_completed_at__isnull=False, requirement__document__isnull=False
    )


def _recurrence_per_trainer(
    records: QuerySet, people: QuerySet, rows: _Rows, only: set[int] | None
) -> None:
    """P71: CAPA recurrence after retraining per trainer. A CAPA retraining action
    whose training was completed counts once for each trainer who trained one of its
    people (the trainer of the record that completed the person's retraining, among
    the visible `records`); it recurred for that trainer when a person they retrained
    was named afterwards in a deviation, on the retraining's document when it has one
    (the same rule as per document)."""
    after = people.filter(
        person_id=OuterRef("person_id"),
        deviation__occurred_at__gt=OuterRef("action__training_completed_at"),
    )
    recurred = Q(Exists(after), action__requirement__document__isnull=True) | Q(
        Exists(after.filter(deviation__documents=OuterRef("action__requirement__document_id")))
    )
    trained = records.filter(trainer__isnull=False)
    if only is not None:
        trained = trained.filter(trainer_id__in=only)
    targets = CapaActionTarget.objects.filter(
        action__training_completed_at__isnull=False, assignment__record__in=trained
    )
    for key, retrainings, hits in _grouped(
        targets,
        "assignment__record__trainer_id",
        retrainings=Count("action_id", distinct=True),
        recurred=Count("action_id", distinct=True, filter=recurred),
    ):
        rows.add("trainer", key, retrainings=retrainings, recurred=hits)


def visible_deviations(user) -> QuerySet:
    from qualify.org.scoping import restrict

    return restrict(Deviation.objects.all(), user, "client")
