"""Training effectiveness (P46): first-attempt pass rate per document and trainer."""

from decimal import Decimal

import pytest

from qualify.quality.models import Deviation
from qualify.quality.queries.effectiveness import effectiveness
from qualify.training.models import Evidence, TrainingRecord
from tests.training.engine_history import History, day

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("P46")
def test_first_attempt_pass_rate_counts_only_each_persons_first_scored_attempt():
    """Two people assessed on SOP-1: one failed then passed (counts as a first-attempt
    failure), one passed first time: 1 of 2, per document and per trainer."""
    h = History()
    doc = h.document(versions=[(-10, True)])
    r = h.requirement(doc, evidence_required=Evidence.ASSESSMENT, pass_mark=Decimal("80"))
    trainer = h.person("trainer")
    first, second = h.person("a"), h.person("b")
    h.record(first, r, completed=day(1), score=Decimal("60"), trainer=trainer)
    h.record(first, r, completed=day(2), score=Decimal("90"), trainer=trainer)
    h.record(second, r, completed=day(1), score=Decimal("85"), trainer=trainer)
    rows = effectiveness(TrainingRecord.objects.all(), Deviation.objects.none(), days=30)
    by_kind = {row.kind: row for row in rows}
    assert (by_kind["document"].assessed, by_kind["document"].first_passed) == (2, 1)
    assert by_kind["document"].pass_rate == 0.5
    assert (by_kind["trainer"].assessed, by_kind["trainer"].first_passed) == (2, 1)
    assert by_kind["document"].trained == 2
    assert by_kind["document"].deviations == 0
