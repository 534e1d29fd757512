"""Signature meanings (S1) and the permission each needs (S2)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Meaning:
    code: str
    label: str

    @property
    def permission(self) -> str:
        return f"signatures.sign_{self.code}"


AUTHORED = Meaning("authored", "Authored")
REVIEWED = Meaning("reviewed", "Reviewed")
APPROVED = Meaning("approved", "Approved")
READ_AND_UNDERSTOOD = Meaning("read_and_understood", "Read and understood")
COMPLETED_TRAINING = Meaning("completed_training", "Completed training (trainee)")
# L1: the trainee signs the result of an assessment attempt (score, pass or fail).
COMPLETED_ASSESSMENT = Meaning("completed_assessment", "Completed assessment (trainee)")
TRAINED_BY = Meaning("trained_by", "Delivered training / observed (trainer)")
VERIFIED = Meaning("verified", "Verified")
# A coordinator vouches for an external certificate. Its own meaning, so that verifying
# certificates never lends a coordinator the QA "verified" of CAPAs and migrations (S2).
CERTIFICATE_VERIFIED = Meaning("certificate_verified", "Verified external training (coordinator)")
CLOSED = Meaning("closed", "Closed")
# P63: the person who ran `qualify validate` signs the run they executed.
EXECUTED = Meaning("executed", "Validation executed")

MEANINGS: dict[str, Meaning] = {
    m.code: m
    for m in (
        AUTHORED,
        REVIEWED,
        APPROVED,
        READ_AND_UNDERSTOOD,
        COMPLETED_TRAINING,
        COMPLETED_ASSESSMENT,
        TRAINED_BY,
        VERIFIED,
        CERTIFICATE_VERIFIED,
        CLOSED,
        EXECUTED,
    )
}

# S2: one person may not sign one record with both meanings of a pair.
CONFLICTING = {
    frozenset({"authored", "approved"}),
    frozenset({"authored", "reviewed"}),
    frozenset({"completed_training", "trained_by"}),
    frozenset({"read_and_understood", "trained_by"}),
    frozenset({"completed_assessment", "trained_by"}),
}


def get_meaning(code: str) -> Meaning:
    try:
        return MEANINGS[code]
    except KeyError:
        raise LookupError(f"unknown signature meaning {code!r}") from None


def conflicts(a: str, b: str) -> bool:
    return frozenset({a, b}) in CONFLICTING
