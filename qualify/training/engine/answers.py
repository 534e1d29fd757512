"""What the engine answers: reason codes and answer objects (Q4-Q8)."""

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    """Why P is not qualified. The order below is the order of precedence: an answer
    lists its reasons in this order and `RequirementAnswer.reason` is the first."""

    # About the person: Q9, a person who had left at T is not qualified at T.
    PERSON_LEFT = "person_left"
    # About the question, not about a record.
    NO_EFFECTIVE_VERSION = "no_effective_version"
    NO_TRAINING_DEFINED = "no_training_defined"
    NEVER_TRAINED = "never_trained"
    NOT_YET_RECORDED = "not_yet_recorded"
    # About the best candidate record (Q4, Q8), in the order they are checked.
    SUPERSEDED_BASELINE = "superseded_baseline"
    NOT_YET_EFFECTIVE = "not_yet_effective"
    EXPIRED = "expired"
    REVOKED = "revoked"
    ASSESSMENT_NOT_PASSED = "assessment_not_passed"
    EVIDENCE_INSUFFICIENT = "evidence_insufficient"
    TRAINEE_SIGNATURE_MISSING = "trainee_signature_missing"
    TRAINER_SIGNATURE_MISSING = "trainer_signature_missing"
    SIGNATURE_BROKEN = "signature_broken"
    TRAINER_NOT_QUALIFIED = "trainer_not_qualified"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS = {
    Reason.PERSON_LEFT: "the person had left by then",
    Reason.NO_EFFECTIVE_VERSION: "no version of the document is effective at that time",
    Reason.NO_TRAINING_DEFINED: "no training defined for this document",
    Reason.NEVER_TRAINED: "never trained",
    Reason.NOT_YET_RECORDED: "training records exist but were recorded after the as-known-at time",
    Reason.SUPERSEDED_BASELINE: "trained on a superseded baseline",
    Reason.NOT_YET_EFFECTIVE: "trained on a version whose baseline is not yet effective",
    Reason.EXPIRED: "training expired (recurrence)",
    Reason.REVOKED: "qualification revoked by a requalification order",
    Reason.ASSESSMENT_NOT_PASSED: "assessment score missing or below the pass mark",
    Reason.EVIDENCE_INSUFFICIENT: "the requirement demands an observed demonstration",
    Reason.TRAINEE_SIGNATURE_MISSING: "the trainee's signature is missing",
    Reason.TRAINER_SIGNATURE_MISSING: "the trainer's signature is missing",
    Reason.SIGNATURE_BROKEN: "a signature is broken: the record changed after signing",
    Reason.TRAINER_NOT_QUALIFIED: "the trainer was not qualified to train at the time",
}

_ORDER = {reason: i for i, reason in enumerate(Reason)}


def ordered(reasons) -> tuple[Reason, ...]:
    unique = set(reasons)
    if len(unique) <= 1:
        return tuple(unique)
    return tuple(sorted(unique, key=_ORDER.__getitem__))


@dataclass(frozen=True)
class SignatureStatus:
    """One signature the record's method needs, with its validity (S1)."""

    role: str  # "trainee" or "trainer"
    signature: Any  # qualify.signatures.models.Signature
    valid: bool

    @property
    def status(self) -> str:
        return "valid" if self.valid else "broken"


@dataclass(frozen=True)
class RequirementAnswer:
    """Q4 for one requirement. When qualified, `record` is the evidence (the most
    recently completed record that satisfies every rule); when not, it is the best
    candidate (the most recently completed record counting at `at`) and `reasons`
    says what it lacks."""

    person: Any
    requirement: Any
    at: dt.datetime
    as_known_at: dt.datetime | None
    qualified: bool
    reasons: tuple[Reason, ...] = ()
    record: Any = None
    version: Any = None  # the document version the record was made on
    effective_version: Any = None  # the version of R's document effective at `at`
    signatures: tuple[SignatureStatus, ...] = ()
    trainer_qualified: bool | None = None
    # Q10: qualified only by the grace after the record expired, until grace_ends.
    in_grace: bool = False
    grace_ends: dt.datetime | None = None

    def __bool__(self) -> bool:
        return self.qualified

    @property
    def reason(self) -> Reason | None:
        return self.reasons[0] if self.reasons else None

    @property
    def state_label(self) -> str:
        """The answer in words, the same on every page: "qualified (in grace)" (Q10)."""
        if not self.qualified:
            return "not qualified"
        return "qualified (in grace)" if self.in_grace else "qualified"


@dataclass(frozen=True)
class DocumentAnswer:
    """Q4 for a document: qualified on every requirement linked to it."""

    person: Any
    document: Any
    at: dt.datetime
    as_known_at: dt.datetime | None
    qualified: bool
    effective_version: Any = None
    requirements: tuple[RequirementAnswer, ...] = ()
    reasons: tuple[Reason, ...] = ()
    # No requirement links the document; a gate then follows the site's policy.
    no_training_defined: bool = False

    def __bool__(self) -> bool:
        return self.qualified

    @property
    def in_grace(self) -> bool:
        """Q10: qualified, but on some requirement only in grace."""
        return self.qualified and any(a.in_grace for a in self.requirements)

    @property
    def grace_ends(self) -> dt.datetime | None:
        ends = [a.grace_ends for a in self.requirements if a.in_grace and a.grace_ends]
        return min(ends) if ends else None

    @property
    def state_label(self) -> str:
        if not self.qualified:
            return "not qualified"
        return "qualified (in grace)" if self.in_grace else "qualified"


@dataclass(frozen=True)
class RequiredBecause:
    """Q5: why P must hold R at T."""

    kind: str  # "matrix", "curriculum" or "assignment"
    job_function_id: int | None = None
    matrix_entry_id: int | None = None
    curriculum_id: int | None = None
    assignment_id: int | None = None
    detail: str = field(default="")
