"""P31: the audit trail a client-restricted reader may read is one query
(`qualify.reports.queries.audit_events`), so the audit-trail report and the API's audit
list give them the same events, and neither gives an event of a record hidden from them."""

import pytest
from rest_framework.test import APIClient

from qualify.audit.models import AuditEvent
from qualify.documents import services as documents
from qualify.org import services as org
from qualify.reports.queries import audit_events
from qualify.reports.services import report_request
from tests.quality.plant import Plant


@pytest.fixture
def two_clients(admin, coordinator, doc_controller, qa, auditor):
    plant = Plant(admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa)
    ours = org.client_create(actor=admin, code="OUR", name="Ours")
    theirs = org.client_create(actor=admin, code="THR", name="Theirs")
    docs = {}
    for number, client in (("OUR-1", ours), ("THR-1", theirs), ("SOP-1", None)):
        docs[number] = documents.document_create(
            actor=doc_controller,
            number=number,
            title=number,
            doc_type="sop",
            owner=doc_controller,
            client=client,
        )
    our_function = org.job_function_create(
        actor=coordinator, code="OUR-OP", name="Our operator", site=plant.site, client=ours
    )
    their_function = org.job_function_create(
        actor=coordinator, code="THR-OP", name="Their operator", site=plant.site, client=theirs
    )
    org.client_access_grant(actor=admin, user=auditor, client=ours, reason="Client audit")
    return {
        "our document": ("documents.document", docs["OUR-1"].pk, True),
        "our job function": ("org.jobfunction", our_function.pk, True),
        "their document": ("documents.document", docs["THR-1"].pk, False),
        "an in-house document": ("documents.document", docs["SOP-1"].pk, False),
        "their job function": ("org.jobfunction", their_function.pk, False),
        "their client": ("org.client", theirs.pk, False),
        "the site": ("org.site", plant.site.pk, False),
    }


def _report_seqs(user, **raw) -> list[int]:
    request = report_request("audit-trail", raw, user=user)
    return [row["seq"] for row in request.report.rows(request)]


def _api_seqs(api, object_type, object_id):
    response = api.get(
        "/api/v1/audit/events/",
        {"object_type": object_type, "object_id": object_id, "page_size": 1000},
    )
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.content
    return [e["seq"] for e in response.json()["results"]]


@pytest.mark.requirement("P31", "U2")
def test_report_and_api_give_a_client_restricted_auditor_the_same_events(two_clients, auditor):
    """The same events from the report and the API, record by record, for a reader
    restricted to one client: their client's records in full, nothing of another
    client's, an in-house record or the site."""
    api = APIClient()
    api.force_authenticate(auditor)
    for what, (object_type, object_id, visible) in two_clients.items():
        everything = list(
            AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id))
            .order_by("seq")
            .values_list("seq", flat=True)
        )
        assert everything, what  # every record here has at least its creation event
        from_report = _report_seqs(auditor, record=f"{object_type}:{object_id}")
        from_api = _api_seqs(api, object_type, object_id)
        if visible:
            assert from_report == from_api == everything, what
        else:
            assert from_report == [], what
            assert from_api is None, what  # 404: hidden and missing read the same

    # The whole trail as the report gives it is exactly the shared query's, and every
    # one of its events is one the API gives for its record.
    whole = _report_seqs(auditor)
    shared = list(audit_events(auditor).order_by("seq").values_list("seq", flat=True))
    assert whole == shared
    assert len(whole) < AuditEvent.objects.count()
    by_record: dict[tuple[str, str], list[int]] = {}
    for seq, object_type, object_id in AuditEvent.objects.filter(seq__in=whole).values_list(
        "seq", "object_type", "object_id"
    ):
        by_record.setdefault((object_type, object_id), []).append(seq)
    for (object_type, object_id), seqs in by_record.items():
        assert _api_seqs(api, object_type, object_id) == sorted(seqs), (object_type, object_id)


@pytest.mark.requirement("P31", "U2")
def test_an_unrestricted_auditor_gets_the_whole_trail_from_both(two_clients, qa):
    """Without client restriction the report and the API give every event of a record,
    of any client or none."""
    from qualify.accounts.roles import AUDITOR
    from tests.personas import make_user

    reader = make_user("global_auditor", AUDITOR)
    api = APIClient()
    api.force_authenticate(reader)
    assert _report_seqs(reader) == list(
        AuditEvent.objects.order_by("seq").values_list("seq", flat=True)
    )
    for what, (object_type, object_id, _visible) in two_clients.items():
        from_report = _report_seqs(reader, record=f"{object_type}:{object_id}")
        assert from_report, what
        assert _api_seqs(api, object_type, object_id) == from_report, what
