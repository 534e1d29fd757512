"""Event MACs checked a batch at a time (A6): the fast comparison accepts only a batch
whose every event carries its own MAC, and anything else is named event by event."""

import hmac
import os

import pytest

from qualify.accounts.services import user_create
from qualify.audit import keys
from qualify.audit.models import AuditEvent
from qualify.audit.verify import hmac_sha256_states, scan_events
from tests.audit.helpers import tamper

pytestmark = pytest.mark.requirement("A6")


@pytest.fixture
def trail(db):
    for i in range(4):
        user_create(actor=None, username=f"m{i}", printed_name=f"Mac {i}", password=None)
    return list(AuditEvent.objects.order_by("seq").values_list("seq", "mac"))


def _mac_problems(batch_size: int = 1000) -> list[int | None]:
    state = scan_events(mac_keys=keys.mac_keys(), batch_size=batch_size)
    return [p.seq for p in state.problems if p.kind == "mac"]


@pytest.mark.parametrize("length", [0, 1, 32, 64, 65, 200])
def test_precomputed_hmac_states_give_rfc_2104_hmac_sha256(length):
    key, message = os.urandom(length), os.urandom(32)
    inner, outer = hmac_sha256_states(key)
    digest = inner.copy()
    digest.update(message)
    mac = outer.copy()
    mac.update(digest.digest())
    assert mac.digest() == hmac.digest(key, message, "sha256")


def test_intact_batch_passes(trail):
    assert _mac_problems() == []
    assert _mac_problems(batch_size=2) == []


def test_a_neighbours_mac_copied_onto_an_event_is_named(trail):
    (_, second), (third, _) = trail[1], trail[2]
    tamper("UPDATE audit_event SET mac = %s WHERE seq = %s", [second, third])
    assert _mac_problems() == [third]


def test_characters_moved_between_two_events_macs_are_named(trail):
    (second, mac2), (third, mac3) = trail[1], trail[2]
    tamper("UPDATE audit_event SET mac = %s WHERE seq = %s", [mac2[:-1], second])
    tamper("UPDATE audit_event SET mac = %s WHERE seq = %s", [mac2[-1] + mac3, third])
    assert _mac_problems() == [second, third]


def test_a_missing_mac_inside_a_batch_is_named(trail):
    third = trail[2][0]
    tamper("UPDATE audit_event SET mac = NULL WHERE seq = %s", [third])
    assert _mac_problems() == [third]
