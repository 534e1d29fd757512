import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from qualify.audit.verify import verify_trail
from qualify.documents import services
from qualify.org import services as org
from tests.documents.support import creds, released, submitted
from tests.org.support import utc


@pytest.mark.requirement("A1", "A4")
def test_every_org_and_document_row_matches_its_last_audit_event(
    admin, coordinator, doc_controller, reviewer, qa, document
):
    """Each service writes an event after every save, so A4 verification finds the
    live rows equal to their last audited state."""
    site = org.site_create(actor=admin, code="DUB", name="Dublin")
    function = org.job_function_create(actor=coordinator, code="OP", name="Operator", site=site)
    person = org.person_create(actor=coordinator, employee_number="E1", full_name="P", site=site)
    held = org.job_assignment_start(
        actor=coordinator,
        person=person,
        job_function=function,
        valid_from=timezone.now() - dt.timedelta(days=3),
    )
    org.job_assignment_end(
        actor=coordinator, assignment=held, valid_to=timezone.now(), reason="Moved"
    )
    org.person_deactivate(actor=coordinator, person=person, reason="Left")
    with time_machine.travel(utc(2026, 1, 1), tick=False):
        released(document, doc_controller, reviewer, qa, "A")
        released(document, doc_controller, reviewer, qa, "B", effective_from=utc(2026, 2, 1))
    withdrawn = submitted(document, doc_controller, reviewer, "C")
    services.version_withdraw(actor=doc_controller, version=withdrawn, reason="Not needed")
    services.document_obsolete(actor=qa, document=document, reason="Retired", credentials=creds(qa))

    report = verify_trail()
    mine = [p for p in report.problems if (p.record or "").startswith(("org.", "documents."))]
    assert mine == []
    assert report.records_checked > 10
