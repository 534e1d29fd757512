"""Quality record [quality-record]: a CAPA, change control or deviation (by number)
with its training picture (the quality picture query: who must train, status,
evidence, G5), its effectiveness evidence (a CAPA's actions, their scores and
observations, effectiveness reviews), the signatures on it (S1), and for a deviation
its qualification snapshot (Q7) with the training records each answer rests on, and
its recurrence: the deviations of the same category that occurred in the 12 months up
to it (itself included), among those the user may see (U2)."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from qualify.quality.queries import picture
from qualify.quality.queries import records as quality_records
from qualify.reports.params import BadParameters
from qualify.reports.registry import CITE, Column, Param, Report, ReportRequest, register
from qualify.signatures.queries import signature_checks

RECURRENCE_WINDOW = dt.timedelta(days=365)


def recurrence(user: Any, deviation: Any) -> QuerySet:
    """Deviations of the deviation's category that occurred in the 12 months up to it."""
    return (
        quality_records.deviations(user)
        .filter(
            category=deviation.category,
            occurred_at__gt=deviation.occurred_at - RECURRENCE_WINDOW,
            occurred_at__lte=deviation.occurred_at,
        )
        .order_by("occurred_at", "pk")
    )


def _record_ids(answer: Any) -> list[int]:
    """The training records a stored engine answer names (keys "record")."""
    found: list[int] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "record" and isinstance(value, int):
                    found.append(value)
                elif key == "record" and isinstance(value, dict):
                    pk = value.get("id", value.get("pk"))
                    if isinstance(pk, int):
                        found.append(pk)
                    walk(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(answer)
    return sorted(set(found))


@register
class QualityRecord(Report):
    name = "quality-record"
    title = "Quality record"
    question = (
        "For this CAPA, change control or deviation: who had to train and with what "
        "evidence, was it effective, who signed it, and (a deviation) was the person "
        "qualified, on which records?"
    )
    params = (
        Param(
            "number", "Number", "text", required=True, help="CAPA-…, CC-… or a deviation number."
        ),
    )
    columns = (
        Column(
            "fact",
            "Fact",
            doc="record, training, effectiveness, review, signature, snapshot, recurrence",
        ),
        Column("subject", "Subject", doc="Person, action or signer the fact is about"),
        Column("requirement", "Requirement or document"),
        Column("status", "Status", doc="The record's, assignment's or action's status"),
        Column("at", "When", "time", "Due, reviewed, signed or snapshot time"),
        Column("evidence", "Evidence", doc="Method and evidence, score, comment or reasons"),
        Column("qualified", "Qualified", doc="yes / no (snapshot: as known now)"),
        Column("qualified_then", "Qualified as known then", doc="Snapshot: as known at the time"),
        Column("records", "Records", doc="Training records the fact rests on (ids)"),
        Column("signature", "Signature", doc="The manifestation in words, and valid or broken"),
    )

    def prepare(self, request: ReportRequest) -> None:
        number = request.params["number"].strip()
        user = request.user
        for kind, rows in (
            ("CAPA", quality_records.capas(user)),
            ("Change control", quality_records.change_controls(user)),
            ("Deviation", quality_records.deviations(user)),
        ):
            obj = rows.filter(number__iexact=number).first()
            if obj is not None:
                request.context["obj"], request.context["kind"] = obj, kind
                site = getattr(obj, "site", None)
                request.zone = site.time_zone if site is not None else "UTC"
                return
        raise BadParameters(
            {"number": "No CAPA, change control or deviation you may see has this number."}
        )

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        obj = request.context["obj"]
        out = [
            ("Record", f"{request.context['kind']} {obj.number}"),
            ("Status", obj.get_status_display()),
        ]
        if request.context["kind"] == "Deviation":
            count = recurrence(request.user, obj).count()
            out += [
                ("Category", obj.get_category_display()),
                (
                    "Recurrence",
                    f"{count} deviation{'s' if count != 1 else ''} of this category in the "
                    "12 months up to this one (itself included)",
                ),
            ]
        return out

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        obj = request.context["obj"]
        blank = {c.name: "" for c in self.columns}
        blank["at"] = None
        own = (obj._meta.label_lower, obj.pk)
        yield {
            **blank,
            "fact": "record",
            "subject": f"{request.context['kind']} {obj.number}",
            "status": obj.get_status_display(),
            "evidence": (
                f"category: {obj.get_category_display()}"
                if request.context["kind"] == "Deviation"
                else ""
            ),
            CITE: own,
        }
        for t in picture.training_picture(obj):
            ev = t["evidence"] or {}
            evidence = ""
            if ev:
                evidence = f"{ev['method']}: {ev['evidence']}"
                if ev.get("score") is not None:
                    evidence += f"; score {ev['score']} (pass mark {ev['pass_mark']})"
                if ev.get("trainer"):
                    evidence += f"; trainer {ev['trainer']}"
            yield {
                **blank,
                "fact": "training",
                "subject": f"{t['person']} ({t['employee_number']})",
                "requirement": t["requirement"],
                "status": t["status"] + (" (overdue)" if t["overdue"] else ""),
                "at": t["due_at"],
                "evidence": evidence,
                "records": str(ev["record"]) if ev else "",
                "signature": "; ".join(ev.get("signatures", [])),
                CITE: ("training.assignment", t["assignment"]),
            }
        if request.context["kind"] == "CAPA":
            for action in quality_records.capa_actions(request.user).filter(capa=obj):
                yield {
                    **blank,
                    "fact": "effectiveness",
                    "subject": str(action),
                    "status": action.get_status_display(),
                    CITE: ("quality.capaaction", action.pk),
                }
            for review in quality_records.effectiveness_reviews(request.user).filter(
                action__capa=obj
            ):
                yield {
                    **blank,
                    "fact": "review",
                    "subject": str(review.action),
                    "status": "effective" if review.effective else "not effective",
                    "at": review.reviewed_at,
                    "evidence": review.comment,
                    "signature": "; ".join(
                        f"{c.signature.manifestation} ({c.status})"
                        for c in signature_checks(review)
                    ),
                    CITE: ("quality.effectivenessreview", review.pk),
                }
        for check in signature_checks(obj):
            s = check.signature
            yield {
                **blank,
                "fact": "signature",
                "subject": f"{s.printed_name} ({s.username})",
                "status": check.status,
                "at": s.signed_at,
                "signature": s.manifestation,
                "evidence": s.comment,
                CITE: own,
            }
        if request.context["kind"] == "Deviation":
            for snap in obj.snapshot.select_related("person", "document").order_by("pk"):
                now = snap.answer.get("known_now", {})
                then = snap.answer.get("as_known_then", {})
                records = _record_ids(now) + _record_ids(then)
                yield {
                    **blank,
                    "fact": "snapshot",
                    "subject": f"{snap.person.full_name} ({snap.person.employee_number})",
                    "requirement": snap.document.number,
                    "at": snap.taken_at,
                    "evidence": "; ".join(str(r) for r in now.get("reasons", [])),
                    "qualified": "yes" if snap.qualified_known_now else "no",
                    "qualified_then": "yes" if snap.qualified_as_known_then else "no",
                    "records": ", ".join(str(r) for r in sorted(set(records))),
                    CITE: ("quality.deviationsnapshot", snap.pk),
                }
            for other in recurrence(request.user, obj):
                yield {
                    **blank,
                    "fact": "recurrence",
                    "subject": f"Deviation {other.number}",
                    "requirement": other.get_category_display(),
                    "status": other.get_status_display(),
                    "at": other.occurred_at,
                    "evidence": other.description,
                    CITE: ("quality.deviation", other.pk),
                }
