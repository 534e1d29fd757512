"""A known situation for the reports, built through the real services.

Dublin plant, gate policy "accept and open a deviation". SOP-100 rev 1 is effective
and linked to RQ-100, which operators must hold. Ann read it; Bob never trained; Carl
read it and his record was corrected (R1). Ann and Bob each performed work under
SOP-100 (Bob's opened a deviation). An on-the-job requirement RQ-OJT on SOP-200 is
trained by Tom, qualified to train by an external certificate (TTT)."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from qualify.org import services as org
from qualify.quality import services as quality
from qualify.training import services as training
from qualify.training.models import Method
from tests.quality.plant import Plant, creds


@pytest.fixture
def situation(admin, coordinator, doc_controller, qa, auditor, trainer):
    plant = Plant(
        admin=admin,
        coordinator=coordinator,
        doc_controller=doc_controller,
        qa=qa,
        gate_policy="deviation",
    )
    sop = plant.document("SOP-100", "Filling line set-up")
    plant.approve(plant.revise(sop, "1"))
    rq = plant.requirement("RQ-100", document=sop)
    plant.matrix(rq)
    ann = plant.person("Ann Operator", job_function=plant.operators)
    bob = plant.person("Bob Operator", job_function=plant.operators)
    carl = plant.person("Carl Operator", job_function=plant.operators)
    ann_record = plant.complete(ann, rq)
    carl_record = plant.complete(carl, rq)
    corrected = training.record_correct(
        actor=carl.user,
        record=carl_record,
        reason="Notes were typed on the wrong record",
        credentials=creds(carl.user),
        notes='=HYPERLINK("http://evil.example","click")',
    )
    ann_work = quality.execution_record(
        actor=qa, person=ann, batch="LOT-1", documents=[sop], step="set-up"
    )
    bob_work = quality.execution_record(
        actor=qa, person=bob, batch="LOT-2", documents=[sop], step="set-up"
    )
    # On the job, with a trainer qualified by an external certificate.
    tom = org.person_create(
        actor=coordinator,
        employee_number="T0001",
        full_name="Tom Trainer",
        site=plant.site,
        user=trainer,
        employed_from=timezone.now() - dt.timedelta(days=365),
    )
    ttt = plant.requirement("TTT", method=Method.EXTERNAL)
    training.record_external(
        actor=tom.user,
        person=tom,
        requirement=ttt,
        completed_at=timezone.now() - dt.timedelta(days=30),
        evidence_file=ContentFile(b"certificate", name="ttt.pdf"),
        credentials=creds(tom.user),
    )
    sop200 = plant.document("SOP-200", "Line clearance")
    plant.approve(plant.revise(sop200, "1"))
    ojt = plant.requirement(
        "RQ-OJT",
        document=sop200,
        method=Method.ON_THE_JOB,
        trainer_requirement=ttt,
        checklist="1. Check",
    )
    ojt_record = plant.observe(ann, ojt, tom)
    return SimpleNamespace(
        plant=plant,
        sop=sop,
        sop200=sop200,
        rq=rq,
        ojt=ojt,
        ttt=ttt,
        ann=ann,
        bob=bob,
        carl=carl,
        tom=tom,
        ann_record=ann_record,
        carl_record=carl_record,
        corrected=corrected,
        ojt_record=ojt_record,
        ann_work=ann_work,
        bob_work=bob_work,
        auditor=auditor,
        qa=qa,
        coordinator=coordinator,
    )
