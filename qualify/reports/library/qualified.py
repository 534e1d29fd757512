"""Was this person qualified? [qualified] The inspector's question (person, document,
instant, as known at) answered by the engine (Q4, Q7, Q9), with the evidence: the
version in force, each requirement's record and its signature manifestations (S1),
the trainer and the trainer's own qualifying record with its validity, and the
person's identity verification and e-signature policy acknowledgement (U1)."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from qualify.reports import scope
from qualify.reports.registry import (
    AS_KNOWN_AT,
    AT,
    CITE,
    CORRECTED,
    Column,
    Param,
    Report,
    ReportRequest,
    register,
)
from qualify.training import engine
from qualify.training.models import TrainingRecord

RECORD = TrainingRecord._meta.label_lower


def answer_of(request: ReportRequest) -> engine.DocumentAnswer:
    """The engine's answer, asked once per run (the same call every interface makes)."""
    if "answer" not in request.context:
        p = request.params
        request.context["answer"] = engine.document_qualification(
            p["person"], p["document"], at=request.at, as_known_at=request.as_known_at
        )
    return request.context["answer"]


def version_label(version) -> str:
    return f"{version.document.number} rev {version.revision}" if version else ""


def reasons(answer) -> str:
    if answer.in_grace and answer.grace_ends is not None:  # Q10, in the same words
        ends = answer.grace_ends.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"qualified (in grace) until {ends}"
    return "; ".join(r.label for r in answer.reasons)


def _verdict(answer, request) -> str:
    if not answer.qualified:
        return "No: not qualified"
    if answer.in_grace:
        return f"Yes: qualified (in grace), {reasons(answer)}"
    return "Yes: qualified"


@register
class Qualified(Report):
    name = "qualified"
    title = "Was this person qualified?"
    question = (
        "Was the person qualified on the document at that moment, trained on the version "
        "in force, with valid electronic signatures (as known at the time given)?"
    )
    params = (
        Param("person", "Person", "person", required=True, help="Employee number or user id."),
        Param("document", "Document", "document", required=True, help="Document number."),
        AT,
        AS_KNOWN_AT,
    )
    columns = (
        Column("fact", "Fact", doc="requirement, record, signature or trainer record"),
        Column("requirement", "Requirement", doc="Requirement code"),
        Column("qualified", "Qualified", "bool", "The engine's answer for this requirement"),
        Column("reasons", "Reasons", doc="Why not qualified, in words"),
        Column("record", "Training record", "number", "Record id"),
        Column("trained_on", "Trained on version", doc="Document number and revision"),
        Column("completed_at", "Completed", "time"),
        Column("recorded_at", "Recorded", "time"),
        Column("method", "Method"),
        Column("evidence", "Evidence of understanding"),
        Column("score", "Score"),
        Column("trainer", "Trainer"),
        Column("signer", "Signed by", doc="Printed name and user id"),
        Column("signed_at", "Signed", "time"),
        Column("meaning", "Meaning of the signature"),
        Column("signature_valid", "Signature valid", "bool"),
        Column("manifestation", "Signature manifestation", doc="Name, UTC time and meaning"),
        Column("corrected_by", "Corrected by record", "number", "The correcting record (R1)"),
        Column("valid_until", "Valid until", "time", "End of a recurring record's validity"),
    )

    def prepare(self, request: ReportRequest) -> None:
        request.zone = request.params["person"].site.time_zone or "UTC"

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        from qualify.reports.evidence import local

        answer = answer_of(request)
        person, document = request.params["person"], request.params["document"]
        user = person.user
        lines = [
            ("Answer", _verdict(answer, request)),
            ("Person", f"{person.full_name} ({person.employee_number})"),
            ("Document", f"{document.number} {document.title}"),
            ("At", local(request.at, request.zone)),
            (
                "As known at",
                local(request.as_known_at, request.zone)
                if request.as_known_at
                else "everything known now",
            ),
            ("Version in force", version_label(answer.effective_version) or "none"),
        ]
        if answer.reasons:
            lines.append(("Reasons", reasons(answer)))
        if user is not None:
            lines += [
                ("Identity verified", local(user.identity_verified_at, request.zone) or "no"),
                (
                    "E-signature policy acknowledged",
                    local(user.esig_acknowledged_at, request.zone) or "no",
                ),
            ]
        return lines

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        answer = answer_of(request)
        visible = scope.records(request.user)
        for ra in answer.requirements:
            yield {
                "fact": "requirement",
                "requirement": ra.requirement.code,
                "qualified": ra.qualified,
                "reasons": reasons(ra),
                CITE: ("training.requirement", ra.requirement.pk),
            }
            record = ra.record
            if record is None or not visible.filter(pk=record.pk).exists():
                continue  # U2: a record the user may not see is not shown
            yield from self._record_rows(request, ra, record)

    def _record_rows(self, request, ra, record) -> Iterator[dict[str, Any]]:
        corrected_by = TrainingRecord.objects.filter(supersedes=record).first()
        valid_until = None
        if ra.requirement.recurrence_months:
            valid_until = engine.add_months(record.completed_at, ra.requirement.recurrence_months)
        yield {
            "fact": "record",
            "requirement": ra.requirement.code,
            "qualified": ra.qualified,
            "record": record.pk,
            "trained_on": version_label(ra.version),
            "completed_at": record.completed_at,
            "recorded_at": record.recorded_at,
            "method": record.get_method_display(),
            "evidence": record.get_evidence_display(),
            "score": record.score,
            "trainer": record.trainer.full_name if record.trainer else "",
            "corrected_by": corrected_by.pk if corrected_by else "",
            "valid_until": valid_until,
            CITE: (RECORD, record.pk),
            CORRECTED: record.supersedes_id is not None or corrected_by is not None,
        }
        for status in ra.signatures:
            s = status.signature
            yield {
                "fact": f"signature ({status.role})",
                "requirement": ra.requirement.code,
                "record": record.pk,
                "signer": f"{s.printed_name} ({s.username})",
                "signed_at": s.signed_at,
                "meaning": s.meaning_label,
                "signature_valid": status.valid,
                "manifestation": s.manifestation,
                CITE: ("signatures.signature", s.pk),
            }
        trainer_requirement = ra.requirement.trainer_requirement
        if record.trainer is not None and trainer_requirement is not None:
            # The trainer's own qualification at the time of the training (Q4), from the
            # same engine function, as known at the same instant.
            trainer_answer = engine.qualification(
                record.trainer,
                trainer_requirement,
                at=record.completed_at,
                as_known_at=request.as_known_at,
            )
            own = trainer_answer.record
            until = None
            if own is not None and trainer_requirement.recurrence_months:
                until = engine.add_months(own.completed_at, trainer_requirement.recurrence_months)
            yield {
                "fact": "trainer record",
                "requirement": trainer_requirement.code,
                "qualified": trainer_answer.qualified,
                "reasons": reasons(trainer_answer),
                "record": own.pk if own else "",
                "completed_at": own.completed_at if own else None,
                "recorded_at": own.recorded_at if own else None,
                "method": own.get_method_display() if own else "",
                "trainer": record.trainer.full_name,
                "valid_until": until,
                CITE: (RECORD, own.pk) if own else None,
            }
