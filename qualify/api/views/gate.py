"""The MES gate: is this person qualified on this document at this instant (Q4),
one pair by GET or up to 1,000 by POST, answered by the engine's check_many."""

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView
from qualify.api.fields import AwareDateTimeField
from qualify.documents.queries import documents
from qualify.org.queries import qualification_subjects
from qualify.training import engine


class CheckQuery(serializers.Serializer):
    person = serializers.CharField(max_length=40, help_text="Employee number.")
    document = serializers.CharField(max_length=40, help_text="Document number.")
    at = AwareDateTimeField(required=False, help_text="Instant asked about; default now.")
    as_known_at = AwareDateTimeField(
        required=False, help_text="Answer with only what was recorded by then (Q7)."
    )


class Pair(serializers.Serializer):
    person = serializers.CharField(max_length=40)
    document = serializers.CharField(max_length=40)


class CheckBatchIn(serializers.Serializer):
    pairs = Pair(many=True, min_length=1, max_length=engine.MAX_PAIRS)
    at = AwareDateTimeField(required=False)
    as_known_at = AwareDateTimeField(required=False)


class ReasonOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class VersionRef(serializers.Serializer):
    id = serializers.IntegerField()
    revision = serializers.CharField()
    effective_from = serializers.DateTimeField()


class RequirementAnswerOut(serializers.Serializer):
    requirement = serializers.CharField()
    qualified = serializers.BooleanField()
    in_grace = serializers.BooleanField(help_text="Q10: qualified only by the grace period.")
    grace_ends = serializers.DateTimeField(allow_null=True)
    record = serializers.IntegerField(allow_null=True)
    reasons = ReasonOut(many=True)


class AnswerOut(serializers.Serializer):
    person = serializers.CharField()
    document = serializers.CharField()
    at = serializers.DateTimeField()
    as_known_at = serializers.DateTimeField(allow_null=True)
    qualified = serializers.BooleanField()
    in_grace = serializers.BooleanField(help_text="Q10: qualified (in grace) on some requirement.")
    grace_ends = serializers.DateTimeField(allow_null=True)
    effective_version = VersionRef(allow_null=True)
    evidence = serializers.ListField(child=serializers.IntegerField(), help_text="Record ids.")
    reasons = ReasonOut(many=True)
    no_training_defined = serializers.BooleanField()
    requirements = RequirementAnswerOut(many=True)


class BatchOut(serializers.Serializer):
    answers = AnswerOut(many=True)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _reasons(reasons) -> list[dict]:
    return [{"code": str(r), "label": r.label} for r in reasons]


def answer_json(answer) -> dict:
    """The engine's answer as it is (Q9: no rule of the API's own)."""
    person, version = answer.person, answer.effective_version
    return {
        "person": person.employee_number,
        "document": answer.document.number,
        "at": _iso(answer.at),
        "as_known_at": _iso(answer.as_known_at),
        "qualified": answer.qualified,
        "in_grace": answer.in_grace,
        "grace_ends": _iso(answer.grace_ends),
        "effective_version": None
        if version is None
        else {
            "id": version.pk,
            "revision": version.revision,
            "effective_from": _iso(version.effective_from),
        },
        "evidence": [a.record.pk for a in answer.requirements if a.qualified and a.record],
        "reasons": _reasons(answer.reasons),
        "no_training_defined": answer.no_training_defined,
        "requirements": [
            {
                "requirement": a.requirement.code,
                "qualified": a.qualified,
                "in_grace": a.in_grace,
                "grace_ends": _iso(a.grace_ends),
                "record": a.record.pk if a.record is not None else None,
                "reasons": _reasons(a.reasons),
            }
            for a in answer.requirements
        ],
    }


def check(user, pairs: list[tuple[str, str]], at, as_known_at) -> list[dict]:
    """Resolve numbers to the objects the user may see (U2) and ask the engine."""
    numbers = {p for p, _ in pairs}
    doc_numbers = {d for _, d in pairs}
    subjects = qualification_subjects(user).filter(employee_number__in=numbers)
    found_people = {p.employee_number: p for p in subjects}
    found_docs = {d.number: d for d in documents(user).filter(number__in=doc_numbers)}
    errors = {}
    for index, (p, d) in enumerate(pairs):
        if p not in found_people:
            errors[f"pairs.{index}.person"] = [f"No person {p!r}."]
        if d not in found_docs:
            errors[f"pairs.{index}.document"] = [f"No document {d!r}."]
    if errors:
        if len(pairs) == 1:
            raise NotFound(next(iter(errors.values()))[0])
        raise serializers.ValidationError(errors)
    answers = engine.check_many(
        [(found_people[p], found_docs[d]) for p, d in pairs],
        at=at or timezone.now(),
        as_known_at=as_known_at,
    )
    return [answer_json(a) for a in answers]


class QualificationCheckView(ApiView):
    serializer_class = CheckBatchIn

    @extend_schema(
        parameters=[CheckQuery],
        responses={200: AnswerOut},
        summary="Is the person qualified on the document at the instant (Q4)?",
    )
    def get(self, request):
        query = CheckQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        answer = check(
            request.user, [(q["person"], q["document"])], q.get("at"), q.get("as_known_at")
        )
        return Response(answer[0])

    @extend_schema(
        request=CheckBatchIn,
        responses={200: BatchOut},
        summary="Answer up to 1,000 (person, document) pairs at one instant",
    )
    def post(self, request):
        body = CheckBatchIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        pairs = [(p["person"], p["document"]) for p in data["pairs"]]
        return Response(
            {"answers": check(request.user, pairs, data.get("at"), data.get("as_known_at"))}
        )


__all__ = ["OpenApiParameter", "QualificationCheckView"]
