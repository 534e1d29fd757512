"""Recording changes in the audit trail (A1).

Services call `record()` (or `record_many()` for fan-outs) inside their own
transaction, after the change is saved, with the state from before the change.
"""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from qualify.audit.canonical import jcs_bytes, jcs_plain, jcs_sha256_hex, sha256_hex, to_plain
from qualify.audit.context import current_context
from qualify.audit.registry import (
    audited_models,
    get_action,
    has_security_state,
    object_type_of,
    record_state,
    security_state_of,
)
from qualify.audit.shapes import created_texts
from qualify.audit.trail import PendingEvent, append_events

SYSTEM_USERNAME = "system"
SYSTEM_NAME = "Qualify system"


def state_of(obj: models.Model) -> dict[str, Any]:
    """The audited state of obj as plain JSON values, to pass as `before=`."""
    return to_plain(record_state(obj))


def record_hash_of(obj: models.Model, version: int = 2, *, state: dict | None = None) -> str:
    """SHA-256 of the record's canonical audited state: what each event stores (A4).

    Format 2 (A6): RFC 8785 canonical JSON of the state, with the security-relevant
    state (roles, client access, password hash, one-time-code devices) under
    "security" for the types that have one. Format 1: the earlier serialisation of
    the state alone, for verifying events written before. ``state``: the record's
    plain state when the caller has it already (``state_of``)."""
    if state is None:
        state = to_plain(record_state(obj))
    if version == 1:
        return sha256_hex(state)
    security = security_state_of(obj)
    if security is not None:
        state = {**state, "security": to_plain(security)}
    return jcs_sha256_hex(state)


def _mentioned_hash(object_type: str, object_id: Any) -> str:
    """An event that names a security-relevant record by type and id (a password
    change, a client access grant) carries that record's hash, so what it changed is
    checked like any audited field."""
    if not has_security_state(object_type):
        return ""
    model = audited_models().get(object_type)
    try:
        obj = model._base_manager.filter(pk=int(object_id)).first() if model else None
    except (TypeError, ValueError):
        return ""
    return record_hash_of(obj) if obj is not None else ""


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    if before is None:
        return {key: [None, value] for key, value in after.items()}
    keys = set(before) | set(after)
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(keys)
        if before.get(key) != after.get(key)
    }


def actor_fields(actor: Any) -> tuple[int | None, str, str]:
    if actor is None:
        return None, SYSTEM_USERNAME, SYSTEM_NAME
    name = getattr(actor, "printed_name", "") or actor.get_username()
    return actor.pk, actor.get_username(), name


def pending(
    action: str,
    obj: models.Model | None = None,
    *,
    actor: Any,
    before: dict[str, Any] | None = None,
    reason: str = "",
    object_type: str | None = None,
    object_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
) -> PendingEvent:
    get_action(action)
    reason = (reason or "").strip()
    if before is not None and not reason:
        raise ValidationError({"reason": "A reason is required to change an existing record."})
    if obj is not None:
        after = to_plain(record_state(obj))
        changes = diff(before, after)
        record_hash = record_hash_of(obj, state=after)
        object_type = object_type_of(obj)
        object_id = obj.pk
    else:
        if object_type is None or object_id is None:
            raise ValueError("an event without an object needs object_type and object_id")
        changes, record_hash = {}, _mentioned_hash(object_type, object_id)
    actor_id, username, name = actor_fields(actor)
    return PendingEvent(
        recorded_at=timezone.now(),
        actor_id=actor_id,
        actor_username=username,
        actor_name=name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=changes,
        reason=reason,
        request_id=current_context().request_id,
        record_hash=record_hash,
        detail=to_plain(detail or {}),
    )


def record(action: str, obj: models.Model | None = None, **kwargs: Any) -> int:
    """Write one audit event in the caller's transaction; return its sequence number."""
    return append_events([pending(action, obj, **kwargs)])[0]


def record_many(events: Iterable[PendingEvent]) -> list[int]:
    """Write events built with `pending()` in one append (one lock, one insert)."""
    return append_events(list(events))


def pending_created(
    action: str,
    model: type[models.Model],
    states: Iterable[dict[str, Any]],
    *,
    actor: Any,
    detail: dict[str, Any] | None = None,
) -> list[PendingEvent]:
    """The events `pending(action, obj, actor=actor, detail=detail)` builds for records
    of `model` just created (no `before`), from their audited states as plain values
    (what `state_of(obj)` returns), without model instances: for rows written by one
    bulk insert (a revision fan-out). Field for field the same events, sharing one
    timestamp; append them with `record_many` like any other.

    A type with a security state (A6) hashes more than its state: use `pending()`."""
    get_action(action)
    object_type = object_type_of(model)
    if has_security_state(object_type):
        raise ValueError(f"{object_type} has a security state: build its events with pending()")
    pk_name = model._meta.pk.attname
    actor_id, username, name = actor_fields(actor)
    request_id = current_context().request_id
    detail = to_plain(detail or {})
    at = timezone.now()
    # The fields every event shares are checked once; each state once, for its record
    # hash and (as its changes are the state's values beside None) for its entry.
    shared_plain = jcs_plain(
        [actor_id, username, name, action, object_type, request_id, detail, at]
    )
    states = list(states)
    # A fan-out's states differ in a few integers: their texts from one template each.
    texts = created_texts(states) if shared_plain else None
    events = []
    for n, state in enumerate(states):
        changes_text = None
        if texts is not None:
            state_text, changes_text = texts[n]
            plain = True
            record_hash = hashlib.sha256(state_text.encode("utf-8")).hexdigest()
        else:
            plain = shared_plain and jcs_plain(state)
            record_hash = (
                sha256_hex(state) if plain else hashlib.sha256(jcs_bytes(state)).hexdigest()
            )
        events.append(
            PendingEvent(
                recorded_at=at,
                actor_id=actor_id,
                actor_username=username,
                actor_name=name,
                action=action,
                object_type=object_type,
                object_id=str(state[pk_name]),
                changes={key: [None, value] for key, value in state.items()},
                reason="",
                request_id=request_id,
                record_hash=record_hash,
                detail=detail,
                jcs_checked=plain,
                changes_text=changes_text,
            )
        )
    return events


def record_refusal(
    action: str,
    *,
    actor: Any,
    why: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """A5: audit a refused action (a gate refusal, a closure refused for open items, a
    403 on a GxP write…) so that it survives the refusal.

    Call it after the refused change's transaction has rolled back (or before it
    opened): the event is written in a durable transaction of its own. Inside an
    enclosing transaction that cannot be left (a caller's atomic block) it joins that
    transaction instead, which commits or rolls back with the caller.
    """
    if obj is not None:
        object_type, object_id = object_type_of(obj), obj.pk
    if object_type is None or object_id is None:
        object_type, object_id = "none", "-"
    event = pending(
        action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        detail={"why": why, **(detail or {})},
    )
    connection = transaction.get_connection()
    outer = [b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)]
    if outer:
        return append_events([event])[0]
    with transaction.atomic(durable=True):
        return append_events([event])[0]


def baseline_security_state(*, reason: str) -> int:
    """Record the security state (roles, client access, password, authenticators) of
    every record that has one, in one transaction: run once after upgrading a trail
    written by an earlier release, so the wider record check starts at once (A6)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A reason is required."})
    events = []
    for object_type, model in sorted(audited_models().items()):
        if not has_security_state(object_type):
            continue
        for pk in model._base_manager.order_by("pk").values_list("pk", flat=True):
            events.append(
                pending(
                    "audit.security.baseline",
                    actor=None,
                    object_type=object_type,
                    object_id=pk,
                    reason=reason,
                )
            )
    with transaction.atomic():
        record_many(events)
    return len(events)
