"""P30: audit-trail reviews on the API, through the same services and queries as the
pages: a QA approver opens the review of a scope (its entries since the last signed
review of that scope), reads exactly the entries it covers, notes a finding and signs
with the password; an auditor reads but neither opens nor signs; a token never signs."""

import pytest
from rest_framework.test import APIClient

from qualify.accounts import roles
from qualify.api.tokens import token_create
from qualify.audit.models import AuditEvent
from qualify.reports import review as service
from qualify.reports.review_models import AuditReview, ReviewStatus
from qualify.signatures.models import Signature
from tests.personas import PASSWORD, make_user

BASE = "/api/v1/audit/reviews/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _all(client, url) -> list[dict]:
    rows, page = [], client.get(url, {"page_size": 1000})
    while True:
        assert page.status_code == 200, page.content
        body = page.json()
        rows += body["results"]
        if not body.get("next"):
            return rows
        page = client.get(body["next"])


@pytest.mark.requirement("P30", "A1", "S1")
def test_a_qa_approver_opens_reads_notes_and_signs_a_review_through_the_api(qa):
    make_user("u_one", roles.EMPLOYEE)
    client = api(qa)

    opened = client.post(BASE, {"object_type": "accounts.user"}, format="json")
    assert opened.status_code == 201, opened.content
    review = AuditReview.objects.get()
    assert opened.json()["id"] == review.pk
    assert opened.json()["entries"] == review.entries > 0
    # Opening the same scope again gives the open review, not a second one.
    again = client.post(BASE, {"object_type": "accounts.user"}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == review.pk
    assert AuditReview.objects.count() == 1

    # The entries are exactly the service's covered events, in order.
    entries = _all(client, f"{BASE}{review.pk}/entries/")
    covered = list(service.covered_events(review).values_list("seq", flat=True))
    assert [e["seq"] for e in entries] == covered
    assert {e["object_type"] for e in entries} == {"accounts.user"}
    assert all(e["finding"] is None for e in entries)

    seq = covered[0]
    noted = client.post(
        f"{BASE}{review.pk}/findings/", {"seq": seq, "note": "Access request on file"}
    )
    assert noted.status_code == 201, noted.content
    assert review.findings.get().seq == seq
    entries = _all(client, f"{BASE}{review.pk}/entries/")
    assert entries[0]["finding"]["note"] == "Access request on file"
    # A second finding on the same entry, or one on an entry not covered, is refused.
    assert client.post(f"{BASE}{review.pk}/findings/", {"seq": seq, "note": "x"}).status_code == 400
    outside = AuditEvent.objects.exclude(seq__in=covered).order_by("seq").first().seq
    refused = client.post(f"{BASE}{review.pk}/findings/", {"seq": outside, "note": "x"})
    assert refused.status_code == 400
    assert "not one this review covers" in refused.json()["detail"]

    # The signature: a wrong password is refused and audited; the right one signs.
    wrong = client.post(f"{BASE}{review.pk}/sign/", {"password": "wrong", "conclusion": "ok"})
    assert wrong.status_code == 400
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert AuditEvent.objects.filter(action="signature.refused", actor_id=qa.pk).exists()
    signed = client.post(
        f"{BASE}{review.pk}/sign/", {"password": PASSWORD, "conclusion": "No finding of note"}
    )
    assert signed.status_code == 200, signed.content
    body = signed.json()
    assert body["status"] == "signed"
    assert body["signed_by"] == qa.username
    assert body["findings"][0]["seq"] == seq
    assert body["signatures"][0]["meaning"] == "reviewed"
    assert qa.username in body["signatures"][0]["manifestation"]
    signature = Signature.objects.get(object_type="reports.auditreview", object_id=str(review.pk))
    assert signature.signer == qa
    # Signed once: no second signature, no finding afterwards.
    assert client.post(f"{BASE}{review.pk}/sign/", {"password": PASSWORD}).status_code == 400
    late = client.post(f"{BASE}{review.pk}/findings/", {"seq": covered[-1], "note": "late"})
    assert late.status_code == 400

    # The list and the detail read the same review; the due list names its scope.
    listed = _all(client, BASE)
    assert [r["id"] for r in listed] == [review.pk]
    detail = client.get(f"{BASE}{review.pk}/").json()
    assert detail["status"] == "signed"
    assert detail["conclusion"] == "No finding of note"
    due = client.get(f"{BASE}due/").json()["results"]
    keys = {d["scope_key"]: d for d in due}
    assert keys["accounts.user@*"]["overdue"] is False
    assert "*@*" in keys

    # The next review of the scope starts where this one ended.
    make_user("u_two", roles.EMPLOYEE)
    second = client.post(BASE, {"object_type": "accounts.user"}, format="json").json()
    assert second["first_seq"] == review.last_seq
    later = _all(client, f"{BASE}{second['id']}/entries/")
    assert later
    assert all(e["seq"] > review.last_seq for e in later)


@pytest.mark.requirement("P30", "U2", "P15")
def test_the_auditor_reads_reviews_but_neither_opens_notes_nor_signs(qa, auditor):
    review = service.review_open(actor=qa, object_type="accounts.user")
    seq = service.covered_events(review).first().seq
    client = api(auditor)
    assert client.get(BASE).status_code == 200
    assert client.get(f"{BASE}{review.pk}/").status_code == 200
    assert client.get(f"{BASE}{review.pk}/entries/").status_code == 200
    assert client.post(BASE, {"object_type": ""}).status_code == 403
    assert client.post(f"{BASE}{review.pk}/findings/", {"seq": seq, "note": "x"}).status_code == 403
    assert client.post(f"{BASE}{review.pk}/sign/", {"password": PASSWORD}).status_code == 403
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert not review.findings.exists()
    assert AuditReview.objects.count() == 1


@pytest.mark.requirement("P30", "S1")
def test_a_token_reads_reviews_but_never_opens_or_signs(qa):
    review = service.review_open(actor=qa)
    token, secret = token_create(name="qms-sync", scopes=["read"])
    token.user.groups.add(*qa.groups.all())  # even holding the QA role
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(BASE).status_code == 200
    assert client.post(BASE, {"object_type": ""}).status_code == 403
    assert client.post(f"{BASE}{review.pk}/sign/", {"password": PASSWORD}).status_code == 403
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN


@pytest.mark.requirement("P30", "P16")
def test_bad_input_is_refused_in_words_and_changes_nothing(qa):
    client = api(qa)
    bad_type = client.post(BASE, {"object_type": "trainingrecord"}, format="json")
    assert bad_type.status_code == 400
    assert "app.model" in bad_type.json()["detail"]
    bad_site = client.post(BASE, {"site": "NOPE"}, format="json")
    assert bad_site.status_code == 400
    assert bad_site.json()["errors"]["site"] == ["No site has this code."]
    assert AuditReview.objects.count() == 0
    review = service.review_open(actor=qa)
    assert client.post(f"{BASE}{review.pk}/findings/", {"seq": "x", "note": ""}).status_code == 400
    assert client.post(f"{BASE}{review.pk}/sign/", {}).status_code == 400
    assert client.get(f"{BASE}999999/").status_code == 404
    assert client.get(f"{BASE}999999/entries/").status_code == 404
    assert not review.findings.exists()
