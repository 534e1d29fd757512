"""Access-rights report (issue 13): who held which role and which client access over
a period, the changes (old and new, by whom, why) and the refused attempts (U2, U3,
P26); the same in CSV, XLSX and the PDF and the same as accounts.queries.access_history,
which the access-history page and API call."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from qualify.accounts import services as accounts
from qualify.accounts.queries import access_history
from qualify.org import services as org
from qualify.reports import services
from qualify.reports.params import BadParameters
from tests.reports.test_more_reports import all_formats


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.requirement("U3", "U2", "P26", "P19")
def test_access_rights_agree_in_every_format_and_with_the_access_history(
    admin, coordinator, auditor, trainer
):
    start = timezone.now() - dt.timedelta(minutes=1)
    accounts.user_set_roles(
        actor=admin, user=trainer, roles=["trainer", "auditor"], reason="Covers audits in May"
    )
    client = org.client_create(actor=admin, code="ACME", name="Acme Pharma")
    org.client_access_grant(actor=admin, user=trainer, client=client, reason="Acme batches")
    accounts.user_set_roles(
        actor=admin, user=trainer, roles=["trainer"], reason="Audit cover ended"
    )
    raw = {"account": trainer.username, "from": start.isoformat()}
    rows, text = all_formats("access-rights", raw, auditor)
    history = access_history(trainer, start=start, end=timezone.now())
    held = [r for r in rows if r["fact"] == "held"]
    assert [(r["kind"], r["name"], r["by"], r["reason"], r["until_utc"] != "") for r in held] == [
        (h.kind, h.name, h.granted_by, h.grant_reason, h.until is not None)
        for h in history.holdings
    ]
    auditor_role = next(r for r in held if r["name"] == "auditor")
    assert auditor_role["reason"] == "Covers audits in May"
    assert auditor_role["removal_reason"] == "Audit cover ended"
    auditor_holding = next(h for h in history.holdings if h.name == "auditor")
    assert auditor_role["since_utc"].startswith(iso(auditor_holding.since))
    still = {(r["kind"], r["name"]) for r in held if r["until_utc"] == ""}
    assert {("role", "trainer"), ("client", "ACME")} <= still
    assert ("role", "auditor") not in still
    changes = [
        (r["action"], r["old"], r["new"], r["reason"], r["event"])
        for r in rows
        if r["fact"] == "change"
    ]
    assert changes == [
        (c.action, ", ".join(c.old), ", ".join(c.new), c.reason, str(c.seq))
        for c in history.changes
    ]
    assert [c[3] for c in changes[-3:]] == [
        "Covers audits in May",
        "Acme batches",
        "Audit cover ended",
    ]
    assert {r["account"] for r in rows} == {f"{trainer.printed_name} ({trainer.username})"}
    assert "Covers audits in May" in text
    assert "Acme batches" in text


@pytest.mark.requirement("U3", "P26", "P19")
def test_access_rights_list_a_refused_change_and_cover_every_account_without_one(
    admin, auditor, trainer
):
    start = timezone.now() - dt.timedelta(minutes=1)
    with pytest.raises(ValidationError):
        accounts.user_set_roles(
            actor=admin, user=admin, roles=["administrator", "auditor"], reason="Myself"
        )
    rows, _ = all_formats("access-rights", {"from": start.isoformat()}, auditor)
    refused = [r for r in rows if r["fact"] == "refused"]
    assert [(r["account"], r["action"]) for r in refused] == [
        (f"{admin.printed_name} ({admin.username})", "account.roles.refused")
    ]
    # Every account's roles held in the period are listed.
    accounts_listed = {r["account"] for r in rows if r["fact"] == "held"}
    assert f"{trainer.printed_name} ({trainer.username})" in accounts_listed
    assert f"{auditor.printed_name} ({auditor.username})" in accounts_listed


@pytest.mark.requirement("P19")
def test_access_rights_refuse_an_unknown_account_in_words(auditor):
    with pytest.raises(BadParameters) as exc:
        services.report_request("access-rights", {"account": "nobody"}, user=auditor)
    assert "No account has this user id" in str(exc.value)
