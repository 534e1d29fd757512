"""POST /api/v1/executions: judged at the attested instant (E5) and a refusal on the
record although the request's transaction rolled back (A5)."""

import datetime as dt

import pytest
from django.utils import timezone

from qualify.audit.models import AuditEvent
from qualify.quality.models import Execution
from tests.api.conftest import bearer

pytestmark = pytest.mark.requirement("P9")


@pytest.fixture
def mes(make_token):
    return bearer(make_token("read", "executions-write", name="mes")[1])


@pytest.fixture
def scene(plant):
    document = plant.document("SOP-010")
    plant.approve(plant.revise(document, "1"), effective_from=timezone.now() - dt.timedelta(days=3))
    requirement = plant.requirement("RQ-010", document=document)
    plant.matrix(requirement)
    operator = plant.person("Orla Operator", job_function=plant.operators)
    return plant, requirement, operator


def z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.requirement("E5", "A5", "T1")
def test_a_step_performed_before_its_training_is_refused_and_the_refusal_kept(
    mes, scene, time_machine
):
    plant, requirement, operator = scene
    ten = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    time_machine.move_to(ten + dt.timedelta(seconds=4), tick=False)
    plant.complete(operator, requirement)  # signed 4 seconds after the step
    time_machine.move_to(ten + dt.timedelta(seconds=5), tick=False)
    body = {
        "person": operator.employee_number,
        "batch": "B-7",
        "documents": ["SOP-010"],
        "claimed_at": z(ten),
    }
    refused = mes.post("/api/v1/executions/", body, format="json")
    assert refused.status_code == 422, refused.json()
    assert refused.json()["type"].endswith("gate-refused")
    assert Execution.objects.count() == 0
    [event] = AuditEvent.objects.filter(action="quality.execution.refused")
    detail = event.data["detail"]
    assert parse(detail["performed_at"]) == ten
    assert parse(detail["received_at"]) == ten + dt.timedelta(seconds=5)
    assert detail["documents"] == ["SOP-010"]
    assert detail["reasons"] == ["SOP-010: never trained"]
    assert event.object_id == str(operator.pk)
    # Reported without an attested time, the same step is judged at its arrival.
    accepted = mes.post("/api/v1/executions/", {**body, "claimed_at": None}, format="json")
    assert accepted.status_code == 201, accepted.json()


@pytest.mark.requirement("E5", "T1")
def test_an_attested_time_in_the_future_gets_a_clear_error(mes, scene):
    _plant, _requirement, operator = scene
    body = {
        "person": operator.employee_number,
        "batch": "B-7",
        "documents": ["SOP-010"],
        "claimed_at": z(timezone.now() + dt.timedelta(minutes=10)),
    }
    response = mes.post("/api/v1/executions/", body, format="json")
    assert response.status_code == 400, response.json()
    assert "in the future" in str(response.json())
    assert not AuditEvent.objects.filter(action="quality.execution.refused").exists()
