"""Training queries: compliance summary (Q6), transcript, assignment filters."""

import pytest

from qualify.org.models import Department
from qualify.training import queries
from qualify.training.models import AssignmentStatus
from tests.training.engine_history import History, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant():
    h = History()
    qc = Department.objects.create(site=h.site, code="QC", name="Quality control")
    prod = Department.objects.create(site=h.site, code="PR", name="Production")
    job = h.function()
    r = h.requirement()
    people = []
    for dept in [qc, qc, prod, None]:
        p = h.person()
        p.department = dept
        p.save()
        h.job(p, job, start=day(0))
        people.append(p)
    h.assign(people[0], r, due=day(5))  # overdue from day 5
    h.assign(people[2], r, due=day(50))
    h.assign(people[3], r, due=day(5), status=AssignmentStatus.COMPLETED, closed=day(4))
    return h, people, job, r, qc


@pytest.mark.requirement("Q6")
def test_compliance_summary_by_department_site_and_job(plant, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        rows = {row.name: row for row in queries.compliance_summary(by="department", at=day(10))}
    assert (rows["Quality control"].people, rows["Quality control"].compliant) == (2, 1)
    assert rows["Production"].non_compliant == 0
    assert rows["(none)"].people == 1
    (site,) = queries.compliance_summary(by="site", at=day(10))
    assert (site.people, site.compliant) == (4, 3)
    (function,) = queries.compliance_summary(by="job_function", at=day(10))
    assert (function.people, function.compliant) == (4, 3)
    (early,) = queries.compliance_summary(by="site", at=day(3))
    assert early.compliant == 4
    with pytest.raises(ValueError, match="must be one of"):
        queries.compliance_summary(by="planet", at=day(1))


@pytest.mark.requirement("Q6")
def test_assignment_filters(plant):
    h, people, job, _, qc = plant
    assert queries.assignments(overdue=True, at=day(10)).count() == 1
    assert queries.assignments(overdue=False, at=day(10)).count() == 2
    assert queries.assignments(status="open").count() == 2
    assert queries.assignments(department=qc).count() == 1
    assert queries.assignments(site=h.site, due_before=day(6)).count() == 2
    assert queries.assignments(job_function=job, at=day(10)).count() == 3
    assert list(queries.assignments(person=people[2])) == list(people[2].assignments.all())


@pytest.mark.requirement("R1", "S1")
def test_transcript_shows_corrections_and_signature_validity():
    h = History()
    p = h.person()
    r = h.requirement()
    first = h.record(p, r, completed=day(1))
    h.record(p, r, completed=day(1), recorded=day(2), supersedes=first, broken=True)
    lines = queries.person_transcript(p)
    assert lines[0].record.pk == first.pk
    assert lines[0].superseded_by is not None
    assert [c.valid for c in lines[0].signatures] == [True]
    assert [c.valid for c in lines[1].signatures] == [False]
