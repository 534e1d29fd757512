"""Bulk writers (the scale seed) write the same format 2 events with MACs as one
service call does (A6), so `audit verify` checks every bulk event's MAC too."""

import json

import pytest

from qualify.audit import keys
from qualify.audit.models import AuditEvent
from qualify.audit.verify import verify_trail
from qualify.seed import scale
from tests.audit.helpers import tamper

pytestmark = [pytest.mark.requirement("A6"), pytest.mark.django_db]

TINY = scale.Scale(
    "tiny",
    people=12,
    documents=4,
    records_per_person=2,
    departments=2,
    job_functions=2,
    requirements_per_function=3,
    requalification_every=5,
)


def test_scale_seed_events_are_format_2_with_the_sites_mac():
    built = scale.build(TINY, seed=5)
    kid, _ = keys.mac_signer()
    loaded = AuditEvent.objects.filter(action="seed.row.loaded")
    assert loaded.count() == built.events > 0
    for entry, mac in loaded.values_list("entry", "mac"):
        assert json.loads(entry)["v"] == 2
        assert mac.startswith(kid + ":")
    assert verify_trail().ok

    # A bulk event's MAC is checked like any other: one copied from its neighbour fails.
    first, second = loaded.order_by("seq").values_list("seq", "mac")[:2]
    tamper("UPDATE audit_event SET mac = %s WHERE seq = %s", [first[1], second[0]])
    problems = [p for p in verify_trail().problems if p.kind == "mac"]
    assert [p.seq for p in problems] == [second[0]]
