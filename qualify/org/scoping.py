"""U2 client restriction, applied in the query layer.

A user with ClientAccess rows is restricted: they see and change only objects of
those clients, and not the in-house (client-less) ones. A user with none is not
restricted. Every query function that lists or fetches client-owned objects for a
user goes through `restrict()` or `visible_object()`, so no page, API or export can
forget the rule; services changing such objects call `check_client()`.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from qualify.org.models import ClientAccess

CACHE_ATTRIBUTE = "_qualify_restricted_clients"
_UNSET = object()


def restricted_clients(user: Any) -> set[int] | None:
    """The client ids a user is restricted to, or None when unrestricted."""
    if user is None or not getattr(user, "is_authenticated", False):
        # An anonymous caller is restricted to nothing: it sees nothing.
        return set()
    # Kept on the user object, which lives for one request: a page or an API call
    # scopes several querysets and asks once. The grant and revoke services drop it.
    cached = getattr(user, CACHE_ATTRIBUTE, _UNSET)
    if cached is not _UNSET:
        return cached
    ids = set(ClientAccess.objects.filter(user_id=user.pk).values_list("client_id", flat=True))
    setattr(user, CACHE_ATTRIBUTE, ids or None)
    return ids or None


def forget_restriction(user: Any) -> None:
    if hasattr(user, CACHE_ATTRIBUTE):
        delattr(user, CACHE_ATTRIBUTE)


def restrict(queryset: QuerySet, user: Any, client_field: str = "client") -> QuerySet:
    """Only the rows of `queryset` the user may see; `client_field` is the lookup path
    to the owning client (e.g. "document__client" for versions)."""
    clients = restricted_clients(user)
    if clients is None:
        return queryset
    return queryset.filter(**{f"{client_field}__in": clients})


def visible_object(queryset: QuerySet, user: Any, pk: Any, client_field: str = "client") -> Model:
    """The object with `pk`, or Http404 if it does not exist *or* belongs to a client
    the user may not see (the two answers are indistinguishable on purpose)."""
    obj = restrict(queryset, user, client_field).filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.")
    return obj


def may_access_client(user: Any, client_id: int | None) -> bool:
    clients = restricted_clients(user)
    return clients is None or (client_id is not None and client_id in clients)


def check_client(user: Any, client_id: int | None) -> None:
    """Services: refuse a change to another client's (or, for a restricted user, an
    in-house) object."""
    if not may_access_client(user, client_id):
        raise PermissionDenied(
            "You are restricted to other clients' records and cannot change this one."
        )
