"""Training effectiveness [training-effectiveness]: per document and per trainer, the
first-attempt pass rate, deviations attributed to people within N days of their
training, and CAPA recurrence after retraining (ISO 13485 6.2(d)). The figures come
from qualify.quality.queries.effectiveness, the one function behind it."""

from collections.abc import Iterator
from typing import Any

from qualify.assessments.queries import first_attempts
from qualify.quality.queries.effectiveness import (
    Subjects,
    effectiveness,
    subjects,
    visible_deviations,
)
from qualify.reports import scope
from qualify.reports.registry import Column, Param, Report, ReportRequest, register


def training_effectiveness(records, deviations, *, days: int = 90):
    """The figures the page and the report show: quality's effectiveness with first
    attempts read from assessment attempts where a requirement has an assessment."""
    return effectiveness(records, deviations, days=days, attempts=first_attempts)


def training_effectiveness_subjects(records) -> Subjects:
    """The rows of `training_effectiveness` without their figures, for a page of them:
    `.figures(deviations, days=..., documents=..., trainers=...)` answers for a page's
    keys with the same function and the same attempts."""
    return subjects(records, attempts=first_attempts)


def _days(request: ReportRequest) -> int:
    from qualify.reports.params import BadParameters

    raw = (request.params.get("days") or "90").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 3650:
        raise BadParameters({"days": "A number of days from 1 to 3650."})
    return int(raw)


@register
class TrainingEffectiveness(Report):
    name = "training-effectiveness"
    title = "Training effectiveness"
    question = (
        "Per document and per trainer: how many passed their first assessment attempt, how "
        "many deviations followed within N days of the training, and did problems recur "
        "after CAPA retraining?"
    )
    params = (Param("days", "Days", "text", help="The window after training; default 90."),)
    columns = (
        Column("kind", "Per", doc="document or trainer"),
        Column("subject", "Document or trainer"),
        Column("assessed", "Assessed", "number", "People with a scored first attempt"),
        Column("first_passed", "Passed first time", "number"),
        Column("pass_rate", "First-attempt pass rate", doc="Percent, or - without attempts"),
        Column("trained", "People trained", "number"),
        Column("deviations", "Deviations within N days", "number"),
        Column("retrainings", "CAPA retrainings", "number"),
        Column("recurred", "Recurred after retraining", "number"),
    )

    def prepare(self, request: ReportRequest) -> None:
        request.context["days"] = _days(request)

    def _figures(self, request: ReportRequest):
        return training_effectiveness(
            scope.records(request.user),
            visible_deviations(request.user),
            days=request.context["days"],
        )

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        return [("Window after training", f"{request.context['days']} days")]

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        for r in self._figures(request):
            rate = r.pass_rate
            yield {
                "kind": r.kind,
                "subject": r.label,
                "assessed": r.assessed,
                "first_passed": r.first_passed,
                "pass_rate": "-" if rate is None else f"{100 * rate:.0f}%",
                "trained": r.trained,
                "deviations": r.deviations,
                "retrainings": r.retrainings,
                "recurred": r.recurred,
            }
