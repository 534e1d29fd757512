"""Registered audit actions and audited models.

Actions are namespaced names (`document.version.approved`) with a label, so screens
and filters can list them and a typo fails loudly instead of writing an event no
filter will ever find. Audited models are those whose live rows `audit verify`
compares with their last audited state (A4).
"""

from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class Action:
    name: str
    label: str


_actions: dict[str, Action] = {}
_audited: dict[str, type[models.Model]] = {}
# object type -> function giving the security-relevant state of one of its rows (A6),
# hashed with the record from format 2 on (qualify.audit.security).
_security: dict[str, Any] = {}


def register_actions(pairs: dict[str, str]) -> None:
    for name, label in pairs.items():
        existing = _actions.get(name)
        if existing and existing.label != label:
            raise ValueError(f"audit action {name!r} registered twice with different labels")
        _actions[name] = Action(name, label)


def get_action(name: str) -> Action:
    try:
        return _actions[name]
    except KeyError:
        raise LookupError(f"audit action {name!r} is not registered") from None


def all_actions() -> list[Action]:
    return sorted(_actions.values(), key=lambda a: a.name)


def audited(model: type[models.Model]) -> type[models.Model]:
    """Class decorator: the model's live rows are checked against the trail (A4)."""
    _audited[object_type_of(model)] = model
    return model


def audited_models() -> dict[str, type[models.Model]]:
    return dict(_audited)


def register_security_state(object_type: str, state: Any, prefetch: tuple[str, ...] = ()) -> None:
    """Hash ``state(obj)`` with every record of ``object_type`` (format 2 events), so a
    change behind the application (a role granted in SQL) is named by verification.
    Events that only name such a record (type and id) carry its hash too."""
    _security[object_type] = (state, prefetch)


def security_state_of(obj: models.Model) -> dict[str, Any] | None:
    found = _security.get(object_type_of(obj))
    return None if found is None else found[0](obj)


def security_prefetch(object_type: str) -> tuple[str, ...]:
    found = _security.get(object_type)
    return () if found is None else found[1]


def has_security_state(object_type: str) -> bool:
    return object_type in _security


def object_type_of(model_or_obj: Any) -> str:
    return model_or_obj._meta.label_lower


def record_state(obj: models.Model) -> dict[str, Any]:
    """The record's state as audited: every concrete field by its column name.

    A model may narrow or widen this with an `audit_state()` method; the same
    function is used when writing the event and when verifying the live row.
    """
    custom = getattr(obj, "audit_state", None)
    if custom is not None:
        return custom()
    return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}
