"""The functional specification (P59), generated from what the code serves rather than
typed: every page and fragment (the URL configuration, with the access rule
qualify.accounts.policy declares for it), every `qualify` command (its help text) and
every API operation (the OpenAPI schema drf-spectacular builds, as /api/v1/schema/
serves it). The pack renders it; URS items name its entries in `functions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.management import get_commands, load_command_class
from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Function:
    kind: str  # page, command, api
    name: str  # URL name, `qualify <command>`, or METHOD /path
    does: str
    who: str


def _patterns(patterns=None, prefix="", namespace=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = namespace + (f"{p.namespace}:" if p.namespace else "")
            yield from _patterns(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            yield "/" + prefix + str(p.pattern), namespace + p.name


def _who(rule) -> str:
    if rule.public:
        return "anyone"
    if rule.signed_in:
        return "any signed-in person"
    parts = []
    if rule.read:
        parts.append("read: " + ", ".join(sorted(rule.read)))
    for reach in ("trainees", "own"):
        grants = getattr(rule, reach)
        if grants:
            parts.append(f"{reach}: " + ", ".join(sorted(grants)))
    if rule.write:
        parts.append("write: " + ", ".join(sorted(rule.write)))
    return "; ".join(parts) or "nobody"


def pages() -> list[Function]:
    from qualify.accounts.policy import POLICY

    out = []
    for route, name in sorted(set(_patterns()), key=lambda p: p[1]):
        rule = POLICY.get(name)
        out.append(
            Function(
                kind="page" if not name.startswith("api:") else "api-route",
                name=name,
                does=f"{route} — {rule.what if rule else 'no declared rule'}",
                who=_who(rule) if rule else "refused (no rule)",
            )
        )
    return out


def commands() -> list[Function]:
    out = []
    for name, app in sorted(get_commands().items()):
        if not str(app).startswith("qualify"):
            continue
        try:
            command = load_command_class(app, name)
            text = " ".join(str(command.help or "").split())
        except Exception as exc:  # a command that cannot load is itself a finding
            text = f"cannot be loaded: {exc}"
        out.append(Function(kind="command", name=f"qualify {name}", does=text, who="operator"))
    return out


def api_operations() -> list[Function]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    out = []
    for path, operations in sorted(schema.get("paths", {}).items()):
        for method, op in sorted(operations.items()):
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            does = op.get("summary") or " ".join(str(op.get("description", "")).split())
            out.append(
                Function(
                    kind="api",
                    name=f"{method.upper()} {path}",
                    does=(does or op["operationId"])[:300],
                    who=", ".join(op.get("tags", [])),
                )
            )
    return out


def functional_specification() -> list[Function]:
    return [*pages(), *commands(), *api_operations()]


def known_names(functions: list[Function]) -> set[str]:
    return {f.name for f in functions}
