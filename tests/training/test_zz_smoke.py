import datetime as dt
import pytest
from django.utils import timezone
from qualify.training.models import *
from tests.training.support import DAY, open_assignments

pytestmark = pytest.mark.django_db

def test_smoke(plant):
    doc = plant.document("SOP-014")
    req = plant.requirement("SOP-014-RU", document=doc)
    p1 = plant.person("Ann", job_function=plant.operators)
    entry = plant.matrix(req)
    a = open_assignments(person=p1)
    assert len(a) == 1
    rec = plant.read(p1, req)
    assert rec.completed_assignment.pk == a[0].pk
    v2 = plant.draft(doc, "2")
    from qualify.training.services import impact_preview
    prev = impact_preview(v2, effective_from=timezone.now() + 40 * DAY)
    print(prev)
    plant.approve(v2, effective_from=timezone.now() + 40 * DAY)
    print(open_assignments())
