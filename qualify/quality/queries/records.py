"""The quality records a user may see: one queryset function per model, the only
read path for the pages, the API and exports, so a client-restricted user (U2) sees
the same set on every interface. Each record carries the client it concerns (none
for in-house work); a restricted user sees only their clients' records.

Each function takes the user and applies the client dimension only; other
restrictions (roles, own records) compose by chaining on the returned queryset."""

from typing import Any

from django.db.models import Count, Max, Min, QuerySet

from qualify.accounts import policy
from qualify.org.scoping import restrict
from qualify.quality.models import (
    Capa,
    CapaAction,
    ChangeControl,
    Deviation,
    EffectivenessReview,
    Execution,
)


def capas(user: Any) -> QuerySet[Capa]:
    return restrict(Capa.objects.select_related("client", "deviation"), user)


def capa_actions(user: Any) -> QuerySet[CapaAction]:
    """Actions of the CAPAs the user may see: an action is its CAPA's client's."""
    return restrict(CapaAction.objects.select_related("capa", "owner"), user, "capa__client")


def effectiveness_reviews(user: Any) -> QuerySet[EffectivenessReview]:
    return restrict(
        EffectivenessReview.objects.select_related("action__capa"), user, "action__capa__client"
    )


def deviations(user: Any) -> QuerySet[Deviation]:
    """An operator (own reach, P15) sees the deviations they reported."""
    rows = restrict(Deviation.objects.select_related("client", "site"), user)
    return policy.only_own(rows, user, policy.DEVIATIONS, person=None, reporter="created_by_id")


def change_controls(user: Any) -> QuerySet[ChangeControl]:
    return restrict(ChangeControl.objects.select_related("client", "site"), user)


def executions(user: Any) -> QuerySet[Execution]:
    """An employee (own reach, P15) sees only the work they performed."""
    rows = restrict(Execution.objects.select_related("client", "person", "site"), user)
    return policy.only_own(rows, user, policy.EXECUTIONS)


def batches(user: Any) -> QuerySet:
    """One row per batch the user may see (a batch is seen through its executions):
    batch, number of executions, first and last performed_at, newest first."""
    return (
        executions(user)
        .values("batch")
        .annotate(executions=Count("pk"), first=Min("performed_at"), last=Max("performed_at"))
        .order_by("-last", "batch")
    )
