"""Which client a quality record concerns (U2), decided once for every service.

The rule, in order:
1. A client named explicitly by the caller.
2. Otherwise the one client named by what the record involves (its documents, job
   functions, the deviation a CAPA is raised from). In-house things (no client) do not
   vote: work on client A's batch under an in-house SOP still concerns client A.
3. Otherwise, for an actor restricted to exactly one client, that client: whatever
   they raise can only concern the client they work for.
4. Otherwise none: the record is in-house work.

Two different clients among the involved things, or an explicit client that
contradicts them, is refused: a record concerns one client. Finally the actor must be
allowed to change records of the resulting client (a client-restricted user can
never raise an in-house record or another client's one).
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

from qualify.org.models import Client
from qualify.org.scoping import check_client, restricted_clients


def _label(obj: Any) -> str:
    return str(getattr(obj, "number", None) or getattr(obj, "code", None) or obj)


def record_client(
    *,
    actor: Any,
    client: Client | None = None,
    involved: Iterable[Any] = (),
    field: str = "client",
) -> Client | None:
    """The client a new quality record concerns, by the rule above; ValidationError when
    the involved things name two clients or contradict `client`, PermissionDenied when
    the actor may not change records of the result."""
    named: dict[int, list[str]] = {}
    for obj in involved:
        client_id = getattr(obj, "client_id", None)
        if client_id is not None:
            named.setdefault(client_id, []).append(_label(obj))
    if len(named) > 1:
        parts = "; ".join(
            f"{Client.objects.get(pk=pk).name}: {', '.join(labels)}" for pk, labels in named.items()
        )
        raise ValidationError(
            {field: f"A quality record concerns one client, but these belong to several: {parts}."}
        )
    derived = next(iter(named), None)
    if client is not None:
        if derived is not None and derived != client.pk:
            raise ValidationError(
                {
                    field: f"{', '.join(named[derived])} belong(s) to "
                    f"{Client.objects.get(pk=derived).name}, not to {client.name}."
                }
            )
        result = client
    elif derived is not None:
        result = Client.objects.get(pk=derived)
    else:
        clients = restricted_clients(actor)
        result = (
            Client.objects.get(pk=next(iter(clients))) if clients and len(clients) == 1 else None
        )
    check_client(actor, result.pk if result is not None else None)
    return result


def require_client_access(actor: Any, record: Any) -> None:
    """Changing an existing record: refused for a client-restricted actor when the
    record is another client's or in-house (U2)."""
    check_client(actor, record.client_id)
