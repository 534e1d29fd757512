"""Q4 and Q8 evaluated in memory over loaded `Facts`.

Priority (documented in answers.Reason): a question-level reason (no effective
version, never trained, not yet recorded) answers alone. Otherwise every record of P
for R completed by T is checked; the most recently completed record that satisfies
every rule is the evidence. When none does, the answer reports the most recently
completed record and everything it lacks, in Reason order: the record a person
relies on is their latest, and its gaps are what must be fixed.
"""

import calendar
import datetime as dt
from dataclasses import replace

from qualify.signatures.meanings import (
    COMPLETED_ASSESSMENT,
    COMPLETED_TRAINING,
    READ_AND_UNDERSTOOD,
    TRAINED_BY,
)
from qualify.training.engine.answers import Reason, RequirementAnswer, SignatureStatus, ordered
from qualify.training.engine.facts import Facts, Record, Sig, Version, needs_trainer
from qualify.training.models import Evidence

# The trainee's own signature: read and understood, completed training, or (L1) the
# signed result of an assessment attempt.
TRAINEE_MEANINGS = frozenset(
    {READ_AND_UNDERSTOOD.code, COMPLETED_TRAINING.code, COMPLETED_ASSESSMENT.code}
)
TRAINER_MEANINGS = frozenset({TRAINED_BY.code})


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Calendar months, the day clamped to the target month (31 Jan + 1 = 28/29 Feb)."""
    years, month0 = divmod(moment.month - 1 + months, 12)
    year = moment.year + years
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


class Evaluator:
    def __init__(self, facts: Facts, *, instances: bool = True) -> None:
        """`instances=False`: answers without the record, version and signature model
        instances they show (None), for callers that only ask whether (a set question
        over thousands of people); the verdicts and reasons are the same."""
        self.facts = facts
        self.instances = instances
        self._memo: dict[tuple[int, int, dt.datetime], RequirementAnswer] = {}
        self._stack: set[tuple[int, int, dt.datetime]] = set()
        self._guard_hits = 0

    def answer(self, person_id: int, requirement_id: int, at: dt.datetime) -> RequirementAnswer:
        key = (person_id, requirement_id, at)
        if key in self._memo:
            return self._memo[key]
        if key in self._stack:
            # A trainer chain that comes back to itself proves nothing: not qualified
            # through this path. Answers that met the guard are not memoised, since
            # another entry point may find a path that avoids the cycle.
            self._guard_hits += 1
            return self._answer(person_id, requirement_id, at, qualified=False)
        hits = self._guard_hits
        self._stack.add(key)
        try:
            answer = self._evaluate(person_id, requirement_id, at)
        finally:
            self._stack.discard(key)
        if self.facts.had_left(person_id, at):
            # Q9: whatever the records say, a person who had left is not qualified.
            answer = replace(
                answer,
                qualified=False,
                reasons=ordered((Reason.PERSON_LEFT, *answer.reasons)),
                in_grace=False,
                grace_ends=None,
            )
        if self._guard_hits == hits:
            self._memo[key] = answer
        return answer

    def qualified(self, person_id: int, requirement_id: int, at: dt.datetime) -> bool:
        """`answer(...).qualified`, for callers that only ask whether. When no record of
        the pair completed by T was trained on the baseline of the version effective at
        T, each record has that reason (Q2) besides any other, so none is evidence and no
        grace applies (Q10 needs expiry alone): no, without checking the records' other
        rules. That is everyone assigned a new baseline, at the instant it takes effect
        (G3 with Q4)."""
        facts = self.facts
        document_id = facts.requirements[requirement_id].document_id
        if document_id is not None:
            effective = facts.effective_version(document_id, at)
            if effective is None:
                return False  # Reason.NO_EFFECTIVE_VERSION
            if not any(
                record.completed_at <= at and self._baseline_reason(record, effective) is None
                for record in facts.records.get((person_id, requirement_id), ())
            ):
                return False
        return self.answer(person_id, requirement_id, at).qualified

    def _answer(self, person_id, requirement_id, at, **fields) -> RequirementAnswer:
        return RequirementAnswer(
            person=self.facts.people.get(person_id),
            requirement=self.facts.requirements[requirement_id],
            at=at,
            as_known_at=self.facts.as_known_at,
            **fields,
        )

    def _evaluate(self, person_id: int, requirement_id: int, at: dt.datetime) -> RequirementAnswer:
        facts = self.facts
        requirement = facts.requirements[requirement_id]
        pair = (person_id, requirement_id)
        effective = None
        if requirement.document_id is not None:
            effective = facts.effective_version(requirement.document_id, at)
            if effective is None:
                return self._answer(
                    person_id, requirement_id, at,
                    qualified=False, reasons=(Reason.NO_EFFECTIVE_VERSION,),
                )  # fmt: skip
        candidates = [r for r in facts.records.get(pair, ()) if r.completed_at <= at]
        if not candidates:
            late = any(done <= at for done in facts.unrecorded.get(pair, ()))
            reason = Reason.NOT_YET_RECORDED if late else Reason.NEVER_TRAINED
            return self._answer(
                person_id, requirement_id, at,
                qualified=False, reasons=(reason,),
                effective_version=facts.version_instance(effective),
            )  # fmt: skip
        best = None
        grace_ends = None
        for record in candidates:  # most recently completed first
            reasons, signatures, trainer_ok = self._check_record(
                person_id, requirement, record, at, effective
            )
            result = (record, reasons, signatures, trainer_ok)
            if not reasons:
                best = result
                break
            if best is None:
                best = result
        record, reasons, signatures, trainer_ok = best
        if reasons == (Reason.EXPIRED,):
            # Q10: expired and nothing else wrong; in grace while retraining is open.
            grace_ends = self._grace_ends(person_id, requirement, record, at)
            if grace_ends is not None:
                reasons = ()
        # Model instances only for what the answer shows.
        if not self.instances:
            return self._answer(
                person_id,
                requirement_id,
                at,
                qualified=not reasons,
                reasons=reasons,
                trainer_qualified=trainer_ok,
                in_grace=grace_ends is not None,
                grace_ends=grace_ends,
            )
        return self._answer(
            person_id,
            requirement_id,
            at,
            qualified=not reasons,
            reasons=reasons,
            record=facts.record_instance(record),
            version=facts.version_instance(facts.version_by_id.get(record.document_version_id)),
            effective_version=facts.version_instance(effective),
            signatures=tuple(
                SignatureStatus(role=role, signature=facts.signature_instance(shown), valid=valid)
                for role, shown, valid in signatures
            ),
            trainer_qualified=trainer_ok,
            in_grace=grace_ends is not None,
            grace_ends=grace_ends,
        )

    def _grace_ends(self, person_id, requirement, record: Record, at) -> dt.datetime | None:
        """Q10: when the grace after this record's expiry ends, if `at` falls in it and
        the person's retraining is open at `at`; else None. Zero days: never."""
        days = requirement.grace_days
        if not days or not requirement.recurrence_months:
            return None
        expiry = add_months(record.completed_at, requirement.recurrence_months)
        ends = expiry + dt.timedelta(days=days)
        if not expiry <= at < ends:
            return None
        if not self.facts.retraining_open((person_id, requirement.pk), at):
            return None
        return ends

    def _check_record(self, person_id, requirement, record: Record, at, effective: Version | None):
        facts = self.facts
        reasons: list[Reason] = []
        if effective is not None:
            baseline_reason = self._baseline_reason(record, effective)
            if baseline_reason is not None:
                reasons.append(baseline_reason)
        # Recurrence.
        if requirement.recurrence_months and not at < add_months(
            record.completed_at, requirement.recurrence_months
        ):
            reasons.append(Reason.EXPIRED)
        # Requalification orders issued after the training, by T.
        pair = (person_id, requirement.pk)
        if any(record.completed_at < issued <= at for issued in facts.orders.get(pair, ())):
            reasons.append(Reason.REVOKED)
        # Q8: evidence of understanding.
        if requirement.evidence_required == Evidence.ASSESSMENT:
            mark = requirement.pass_mark if requirement.pass_mark is not None else record.pass_mark
            if record.score is None or mark is None or record.score < mark:
                reasons.append(Reason.ASSESSMENT_NOT_PASSED)
        elif (
            requirement.evidence_required == Evidence.DEMONSTRATION
            and record.evidence != Evidence.DEMONSTRATION
        ):
            reasons.append(Reason.EVIDENCE_INSUFFICIENT)
        # Signatures (S1): the trainee's; the trainer's for classroom and on-the-job.
        statuses: list[tuple[str, Sig, bool]] = []  # (role, signature shown, valid)
        self._check_signature(
            record, "trainee", facts.user_of(person_id), TRAINEE_MEANINGS,
            Reason.TRAINEE_SIGNATURE_MISSING, reasons, statuses,
        )  # fmt: skip
        trainer_ok = None
        if needs_trainer(requirement, record):
            self._check_signature(
                record, "trainer", facts.user_of(record.trainer_id), TRAINER_MEANINGS,
                Reason.TRAINER_SIGNATURE_MISSING, reasons, statuses,
            )  # fmt: skip
            if requirement.trainer_requirement_id is not None:
                trainer_ok = (
                    record.trainer_id is not None
                    and self.answer(
                        record.trainer_id, requirement.trainer_requirement_id, record.completed_at
                    ).qualified
                )
                if not trainer_ok:
                    reasons.append(Reason.TRAINER_NOT_QUALIFIED)
        return ordered(reasons), statuses, trainer_ok

    def _baseline_reason(self, record: Record, effective: Version) -> Reason | None:
        """Q2: None when the record was trained on the baseline of the version effective
        at T; else why not."""
        facts = self.facts
        trained_on = facts.version_by_id.get(record.document_version_id)
        if trained_on is None:
            return Reason.SUPERSEDED_BASELINE
        baseline = facts.baseline_id(trained_on)
        wanted = facts.baseline_id(effective)
        if baseline == wanted:
            return None
        ours = facts.version_by_id.get(baseline)
        theirs = facts.version_by_id.get(wanted)
        later = (
            ours is not None
            and theirs is not None
            and ours.document_id == theirs.document_id
            and ours.sequence > theirs.sequence
        )
        return Reason.NOT_YET_EFFECTIVE if later else Reason.SUPERSEDED_BASELINE

    def _check_signature(self, record, role, user_id, meanings, missing, reasons, statuses):
        mine = [
            s
            for s in record.signatures  # known at K, in signing order
            if user_id is not None and s.signer_id == user_id and s.meaning in meanings
        ]
        if not mine:
            reasons.append(missing)
            return
        expected = self.facts.content_hash(record)
        valid = [s for s in mine if s.content_hash == expected]
        shown = valid[-1] if valid else mine[-1]
        statuses.append((role, shown, bool(valid)))
        if not valid:
            reasons.append(Reason.SIGNATURE_BROKEN)
