"""Learning paths (issue 14, L4): curriculum prerequisites, the learner's path with
its progress, and the order an onboarding plan follows. Reads only; the writes are in
`services/paths.py`.

A prerequisite is stored on a curriculum item: "in curriculum C, R needs P". It binds
a person through the curricula their job functions require (Q5, through the matrix):
they cannot start or complete R before they are qualified on P (the engine's one
answer, Q9, so "complete and still valid" includes expiry, revocation and grace).
Edges of every curriculum form one graph, which must stay acyclic: a cycle across two
curricula would lock a person holding both out of both items for ever.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from qualify.org.models import Person
from qualify.org.queries import people as visible_people
from qualify.training import engine
from qualify.training.engine.required import open_at
from qualify.training.models import (
    Assignment,
    CurriculumItem,
    MatrixEntry,
    OnboardingPlan,
    Requirement,
)


def prerequisite_graph() -> dict[int, set[int]]:
    """requirement id -> the requirement ids it needs, over every curriculum."""
    graph: dict[int, set[int]] = defaultdict(set)
    rows = CurriculumItem.objects.filter(prerequisite__isnull=False).values_list(
        "requirement_id", "prerequisite_id"
    )
    for requirement_id, prerequisite_id in rows:
        graph[requirement_id].add(prerequisite_id)
    return graph


def cycle_through(graph: dict[int, set[int]], requirement_id: int, prerequisite_id: int):
    """The chain of requirement ids that "requirement needs prerequisite" would close
    into a cycle ([requirement, prerequisite, ..., requirement]), or None."""
    if requirement_id == prerequisite_id:
        return [requirement_id, requirement_id]
    # Depth-first from the prerequisite along "needs" edges: reaching the requirement
    # means the prerequisite already (indirectly) needs it.
    stack = [(prerequisite_id, [requirement_id, prerequisite_id])]
    seen = {prerequisite_id}
    while stack:
        node, chain = stack.pop()
        for needed in sorted(graph.get(node, ())):
            if needed == requirement_id:
                return [*chain, needed]
            if needed not in seen:
                seen.add(needed)
                stack.append((needed, [*chain, needed]))
    return None


def person_prerequisites(
    person: Person, *, at: dt.datetime, required: dict | None = None
) -> dict[int, set[int]]:
    """requirement id -> prerequisite ids, from the curricula P is required to hold
    at T through their job functions (Q5)."""
    if required is None:
        required = engine.required_requirements(person, at=at)
    curricula = {
        because.curriculum_id
        for reasons in required.values()
        for because in reasons
        if because.curriculum_id is not None
    }
    needs: dict[int, set[int]] = defaultdict(set)
    if not curricula:
        return needs
    rows = CurriculumItem.objects.filter(
        curriculum_id__in=curricula, prerequisite__isnull=False
    ).values_list("requirement_id", "prerequisite_id")
    for requirement_id, prerequisite_id in rows:
        needs[requirement_id].add(prerequisite_id)
    return needs


def missing_prerequisites(
    person: Person, requirement: Requirement, *, at: dt.datetime | None = None
) -> list[Requirement]:
    """L4: the prerequisites of R (in P's curricula) P is not qualified on at T."""
    at = at or timezone.now()
    needed = person_prerequisites(person, at=at).get(requirement.pk)
    if not needed:
        return []
    prerequisites = list(Requirement.objects.filter(pk__in=needed).order_by("code"))
    answers = engine.qualifications([(person, r, at) for r in prerequisites])
    return [a.requirement for a in answers if not a.qualified]


def prerequisite_refusal(requirement: Requirement, missing: Iterable[Requirement]) -> str:
    names = ", ".join(f"{r.code} {r.title}" for r in missing)
    return (
        f"{requirement.code} cannot be started before its prerequisite is complete and "
        f"valid: {names}."
    )


def topological(requirement_ids: Iterable[int], needs: dict[int, set[int]]) -> dict[int, int]:
    """requirement id -> depth (0: needs nothing among these; else 1 + the deepest
    prerequisite it needs). The graph is acyclic (refused on save); a cycle that came
    in some other way is cut rather than looped on."""
    ids = set(requirement_ids)
    depth: dict[int, int] = {}

    def visit(node: int, trail: frozenset) -> int:
        if node in depth:
            return depth[node]
        inner = [p for p in needs.get(node, ()) if p in ids and p not in trail]
        found = 1 + max((visit(p, trail | {node}) for p in inner), default=-1)
        depth[node] = found
        return found

    for node in sorted(ids):
        visit(node, frozenset())
    return depth


# --- the learner's path ----------------------------------------------------------------

DONE, GRACE, OPEN, LOCKED, TODO = "done", "in grace", "open", "locked", "not assigned"


@dataclass
class PathStep:
    requirement: Requirement
    depth: int
    state: str
    answer: object  # engine.RequirementAnswer
    assignment: Assignment | None = None
    missing: list[Requirement] = field(default_factory=list)
    target_at: dt.datetime | None = None


@dataclass
class LearningPath:
    person: Person
    at: dt.datetime
    steps: list[PathStep]

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.state in (DONE, GRACE))

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def learning_path(person: Person, *, at: dt.datetime | None = None) -> LearningPath:
    """P44: every requirement P must hold at T (Q5), prerequisites first, each with
    its state from the engine's one answer (done, in grace, open, locked by a
    missing prerequisite) and the onboarding target date when a plan names it."""
    at = at or timezone.now()
    required = engine.required_requirements(person, at=at)
    needs = person_prerequisites(person, at=at, required=required)
    requirements = {r.pk: r for r in Requirement.objects.filter(pk__in=required)}
    depth = topological(requirements, needs)
    answers = {
        a.requirement.pk: a
        for a in engine.qualifications([(person, r, at) for r in requirements.values()])
    }
    assignments = {
        a.requirement_id: a
        for a in Assignment.objects.filter(open_at(at), person=person, requirement__in=requirements)
    }
    plan = person.onboarding_plans.first()
    targets = {}
    if plan is not None:
        targets = dict(plan.steps.values_list("requirement_id", "target_at"))
    steps = []
    for pk, requirement in requirements.items():
        answer = answers[pk]
        missing = [
            requirements.get(p) or Requirement.objects.get(pk=p)
            for p in sorted(needs.get(pk, ()))
            if p not in answers or not answers[p].qualified
        ]
        if answer.in_grace:
            state = GRACE
        elif answer.qualified:
            state = DONE
        elif missing:
            state = LOCKED
        elif pk in assignments:
            state = OPEN
        else:
            state = TODO
        steps.append(
            PathStep(
                requirement=requirement,
                depth=depth.get(pk, 0),
                state=state,
                answer=answer,
                assignment=assignments.get(pk),
                missing=missing,
                target_at=targets.get(pk),
            )
        )
    steps.sort(key=lambda s: (s.depth, s.target_at or at, s.requirement.code))
    return LearningPath(person=person, at=at, steps=steps)


def onboarding_targets(
    person: Person, *, starts_at: dt.datetime
) -> list[tuple[Requirement, int, dt.datetime, int | None, int | None, int | None]]:
    """P44: the steps of a new hire's onboarding plan from the job functions they hold
    on their first day: (requirement, depth, target, prerequisite id, job function id,
    curriculum id), prerequisites first. Each requirement is due by its matrix
    window (the shortest, when several entries require it); within that window the
    levels of its prerequisite chain share the time evenly, so a prerequisite's target
    always comes before the targets of the items that need it."""
    # The job functions held on the first day; for a first day already begun, those
    # held now (the matrix may have changed since the day started).
    asked = max(starts_at, timezone.now())
    required = engine.required_requirements(person, at=asked)
    needs = person_prerequisites(person, at=asked, required=required)
    requirements = {r.pk: r for r in Requirement.objects.filter(pk__in=required, active=True)}
    depth = topological(requirements, needs)
    levels = 1 + max(depth.values(), default=0)
    entry_ids = {b.matrix_entry_id for reasons in required.values() for b in reasons}
    windows = dict(MatrixEntry.objects.filter(pk__in=entry_ids).values_list("pk", "window_days"))
    out = []
    targets: dict[int, dt.datetime] = {}
    for pk in sorted(requirements, key=lambda pk: (depth[pk], pk)):
        requirement = requirements[pk]
        matrix = [b for b in required[pk] if b.matrix_entry_id is not None]
        if not matrix:
            continue  # an individual assignment is not part of onboarding
        window = min(windows.get(b.matrix_entry_id, 30) for b in matrix)
        share = -(-window * (depth[pk] + 1) // levels)  # ceiling division
        target = starts_at + dt.timedelta(days=share)
        # Never before a prerequisite's own target (their windows may differ).
        before = [targets[p] for p in needs.get(pk, ()) if p in targets]
        target = targets[pk] = max([target, *before])
        first = matrix[0]
        prerequisite = min(needs.get(pk, ()), default=None)
        out.append(
            (
                requirement,
                depth[pk],
                target,
                prerequisite,
                first.job_function_id,
                first.curriculum_id,
            )
        )
    out.sort(key=lambda row: (row[1], row[2], row[0].code))
    return out


def onboarding_plans(user) -> QuerySet[OnboardingPlan]:
    """P73: the onboarding plans of the people `user` may see (U2), newest first, with
    their steps; the pages show a person's latest, the API lists them all."""
    return (
        OnboardingPlan.objects.filter(person__in=visible_people(user))
        .select_related("person", "generated_by")
        .prefetch_related("steps__requirement", "steps__prerequisite")
        .prefetch_related("steps__job_function", "steps__curriculum")
    )
