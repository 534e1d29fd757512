"""Q1 and Q2 as pure functions over a document's versions.

Both the document services (which enforce them when approving) and the
qualification engine (which answers with them, in bulk) use these, so "effective
version" has exactly one definition. Versions are any objects with the fields of
DocumentVersion named below; nothing here touches the database.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Protocol

APPROVED = "approved"


class VersionLike(Protocol):
    pk: int
    sequence: int
    status: str
    retraining_required: bool
    approved_at: dt.datetime | None
    effective_from: dt.datetime | None


def known_approved(
    versions: Iterable[VersionLike], as_known_at: dt.datetime | None = None
) -> list[VersionLike]:
    """Approved versions with an effective date, as the system knew them at as_known_at
    (Q7), in order of effective_from."""
    known = [
        v
        for v in versions
        if v.status == APPROVED
        and v.effective_from is not None
        and v.approved_at is not None
        and (as_known_at is None or v.approved_at <= as_known_at)
    ]
    return sorted(known, key=lambda v: (v.effective_from, v.sequence))


def effective_version(
    versions: Iterable[VersionLike],
    *,
    at: dt.datetime,
    as_known_at: dt.datetime | None = None,
    obsolete_from: dt.datetime | None = None,
    obsolete_recorded_at: dt.datetime | None = None,
) -> VersionLike | None:
    """Q1: the approved version whose [effective_from, effective_to) contains `at`.

    A version's period ends where the next known version's begins, and the last one
    ends when the document became obsolete, if that was known at as_known_at.
    """
    recorded_in_time = as_known_at is None or (
        obsolete_recorded_at is not None and obsolete_recorded_at <= as_known_at
    )
    obsolete_known = obsolete_from is not None and recorded_in_time
    if obsolete_known and at >= obsolete_from:
        return None
    current = None
    for version in known_approved(versions, as_known_at):
        if version.effective_from <= at:
            current = version
        else:
            break
    return current


def effective_period(
    version: VersionLike,
    versions: Iterable[VersionLike],
    *,
    as_known_at: dt.datetime | None = None,
    obsolete_from: dt.datetime | None = None,
) -> tuple[dt.datetime, dt.datetime | None]:
    """The half-open period [from, to) of an approved version (T2)."""
    ordered = known_approved(versions, as_known_at)
    later = [v.effective_from for v in ordered if v.effective_from > version.effective_from]
    end = min(later) if later else obsolete_from
    return version.effective_from, end


def baseline_of(version: VersionLike, versions: Sequence[VersionLike]) -> VersionLike:
    """Q2: the latest approved version <= version (by sequence) that required retraining.

    `version` itself counts, approved or about to be. When no earlier version ever
    required retraining (an editorial first version is refused by the services), the
    version is its own baseline.
    """
    candidates = [
        v
        for v in versions
        if v.sequence <= version.sequence
        and v.retraining_required
        and (v.pk == version.pk or v.status == APPROVED)
    ]
    if version.retraining_required:
        return version
    if not candidates:
        return version
    return max(candidates, key=lambda v: v.sequence)
