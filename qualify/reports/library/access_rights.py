"""Access rights [access-rights]: who held which role and which client access over a
period (U2, U3, P26), the changes made in it (old and new, by whom, why) and the
refused attempts to change them. Read through `qualify.accounts.queries.access_history`,
the function the access-history page and API call, one account at a time (the answer
is rebuilt from the audit trail, so it shows what was held in any past period)."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from qualify.accounts.models import User
from qualify.accounts.queries import AccessHistory, access_history, find_user
from qualify.reports.params import BadParameters
from qualify.reports.registry import CITE, Column, Param, Report, ReportRequest, register


@register
class AccessRights(Report):
    name = "access-rights"
    title = "Access rights"
    question = (
        "Who held which role and which client access over the period, who granted or "
        "removed it and why, and which changes were refused?"
    )
    params = (
        Param("account", "Account", "text", help="A user id; empty: every account."),
        Param("from", "From", "instant", help="Start of the period; default 365 days ago."),
        Param("to", "To", "instant", help="End of the period (excluded); default now."),
    )
    columns = (
        Column("account", "Account", doc="Printed name (user id)"),
        Column(
            "fact",
            "Fact",
            doc="held: a role or client access held in the period; "
            "change: a change made in it; refused: a refused attempt",
        ),
        Column("kind", "Kind", doc="role or client (for held and change)"),
        Column("name", "Role or client", doc="The role's code or the client's code (held)"),
        Column("label", "In words", doc="The role's name (held)"),
        Column("since", "Since", "time", "Held since; for a change or refusal: when"),
        Column("until", "Until", "time", "Held until (empty: still held)"),
        Column("by", "By", doc="Granted by; for a change or refusal: the actor"),
        Column("reason", "Reason", doc="Why granted; a change's reason; why refused"),
        Column("removed_by", "Removed by"),
        Column("removal_reason", "Removal reason"),
        Column("action", "Action", doc="The audit event's action (change, refused)"),
        Column("old", "Old", doc="Roles or clients before the change, comma-separated"),
        Column("new", "New", doc="Roles or clients after the change, comma-separated"),
        Column("event", "Audit event", "number", "The change's or refusal's sequence number"),
    )

    def prepare(self, request: ReportRequest) -> None:
        p = request.params
        p.setdefault("to", request.generated_at)
        p.setdefault("from", p["to"] - dt.timedelta(days=365))
        if p["from"] >= p["to"]:
            raise BadParameters({"to": "The end of the period must come after its start."})
        key = p.get("account")
        if key:
            account = find_user(key)
            if account is None:
                raise BadParameters({"account": "No account has this user id."})
            request.context["accounts"] = [account.pk]

    def _accounts(self, request: ReportRequest) -> list[int]:
        if "accounts" not in request.context:
            request.context["accounts"] = list(
                User.objects.order_by("username").values_list("pk", flat=True)
            )
        return request.context["accounts"]

    def histories(self, request: ReportRequest) -> Iterator[AccessHistory]:
        p = request.params
        for pk in self._accounts(request):
            user = User.objects.get(pk=pk)
            yield access_history(user, start=p["from"], end=p["to"])

    def estimate(self, request: ReportRequest) -> int:
        return 5 * len(self._accounts(request))

    def summary(self, request: ReportRequest) -> list[tuple[str, str]]:
        held = changes = refused = 0
        for h in self.histories(request):
            held += len(h.holdings)
            changes += len(h.changes)
            refused += len(h.refusals)
        return [
            ("Accounts", str(len(self._accounts(request)))),
            ("Roles and client access held", str(held)),
            ("Changes in the period", str(changes)),
            ("Refused changes", str(refused)),
        ]

    def rows(self, request: ReportRequest) -> Iterator[dict[str, Any]]:
        blank = {c.name: "" for c in self.columns}
        blank.update(since=None, until=None)
        for history in self.histories(request):
            user = history.user
            base = {
                **blank,
                "account": f"{user.printed_name} ({user.username})",
                CITE: ("accounts.user", user.pk),
            }
            for h in history.holdings:
                yield {
                    **base,
                    "fact": "held",
                    "kind": h.kind,
                    "name": h.name,
                    "label": h.label,
                    "since": h.since,
                    "until": h.until,
                    "by": h.granted_by,
                    "reason": h.grant_reason,
                    "removed_by": h.removed_by,
                    "removal_reason": h.removal_reason,
                }
            for c in history.changes:
                yield {
                    **base,
                    "fact": "change",
                    "kind": c.kind,
                    "since": c.at,
                    "by": c.actor,
                    "reason": c.reason,
                    "action": c.action,
                    "old": ", ".join(c.old),
                    "new": ", ".join(c.new),
                    "event": c.seq,
                }
            for r in history.refusals:
                yield {
                    **base,
                    "fact": "refused",
                    "since": r.at,
                    "by": r.actor,
                    "reason": r.why,
                    "action": r.action,
                    "event": r.seq,
                }
