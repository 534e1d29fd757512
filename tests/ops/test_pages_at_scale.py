"""P65: pages at scale. The matrix page shows a filtered page of the grid (the whole
grid is the matrix report); the compliance summaries are counted by the database; a
page reads a number of queries that does not grow with its rows."""

import pytest
from django.urls import reverse

from qualify.org import services as org
from qualify.org.models import Framework
from qualify.training import queries as training_queries
from qualify.training.engine.required import overdue_at
from qualify.training.models import Assignment, Method
from qualify.web.coordinator.queries import compliance_by_framework, matrix_grid
from tests.web import pages_support

plant = pages_support.plant

pytestmark = pytest.mark.requirement("P65")


def _requirements(plant, count, job_function=None, prefix="RU"):
    made = []
    for n in range(count):
        requirement = plant.requirement(f"{prefix}-{n:03d}", method=Method.EXTERNAL)
        plant.matrix(requirement, job_function)
        made.append(requirement)
    return made


@pytest.fixture
def two_sites(plant, coordinator, admin):
    cork = org.site_create(actor=admin, code="ORK", name="Cork")
    packers = org.job_function_create(actor=coordinator, code="PK", name="Packer", site=cork)
    return cork, packers


def test_the_matrix_is_filtered_by_site_and_job_function(
    client,
    coordinator,
    plant,
    two_sites,
):
    cork, packers = two_sites
    _requirements(plant, 2, prefix="OPR")
    _requirements(plant, 1, packers, prefix="PKR")
    client.force_login(coordinator)
    url = reverse("web:coordinator_matrix")
    everything = client.get(url).content.decode()
    assert "OPR-000" in everything
    assert "PKR-000" in everything
    at_cork = client.get(url, {"site": cork.pk}).content.decode()
    assert "PKR-000" in at_cork
    assert "OPR-000" not in at_cork
    operators = client.get(url, {"job_function": plant.operators.pk}).content.decode()
    assert "OPR-001" in operators
    assert "PKR-000" not in operators
    assert reverse("web:report-matrix") in operators  # the whole grid is the report


def test_the_matrix_is_filtered_by_framework(client, coordinator, plant, admin):
    gmp = Framework.objects.create(code="GMP", name="EU GMP")
    plant.operators.frameworks.add(gmp)
    other = org.job_function_create(actor=coordinator, code="LAB", name="Lab", site=plant.site)
    _requirements(plant, 1, prefix="OPR")
    _requirements(plant, 1, other, prefix="LABR")
    grid = matrix_grid(coordinator, at=_now(), framework=gmp)
    assert [jf.code for jf in grid.functions] == ["OP"]
    assert [r.code for r, _ in grid.rows] == ["OPR-000"]


def test_the_matrix_pages_its_rows(coordinator, plant):
    _requirements(plant, 5)
    first = matrix_grid(coordinator, at=_now(), per_page=2)
    assert first.page.paginator.count == 5
    assert [r.code for r, _ in first.rows] == ["RU-000", "RU-001"]
    last = matrix_grid(coordinator, at=_now(), per_page=2, page=3)
    assert [r.code for r, _ in last.rows] == ["RU-004"]
    (cell,) = last.rows[0][1]
    assert cell.entry.window_days == 30
    nonsense = matrix_grid(coordinator, at=_now(), per_page=2, page="x")
    assert nonsense.page.number == 1


def test_the_matrix_pages_its_job_function_columns(client, coordinator, plant):
    """A large plant has hundreds of job functions: the grid shows them a column page at
    a time, in code order, with the requirements that have an entry under them."""
    functions = [
        org.job_function_create(
            actor=coordinator, code=f"JF{n:02d}", name=f"F {n}", site=plant.site
        )
        for n in range(4)
    ]
    for n, function in enumerate(functions):
        _requirements(plant, 1, function, prefix=f"R{n}")
    first = matrix_grid(coordinator, at=_now(), per_column_page=3)
    assert [jf.code for jf in first.functions] == ["JF00", "JF01", "JF02"]
    assert [r.code for r, _ in first.rows] == ["R0-000", "R1-000", "R2-000"]
    assert first.column_page.paginator.num_pages == 2  # JF03 and OP on the second
    second = matrix_grid(coordinator, at=_now(), per_column_page=3, columns=2)
    assert [jf.code for jf in second.functions] == ["JF03", "OP"]
    assert [r.code for r, _ in second.rows] == ["R3-000"]
    (cell, empty) = second.rows[0][1]
    assert cell.entry.job_function == functions[3]
    assert empty is None
    assert (
        matrix_grid(coordinator, at=_now(), per_column_page=3, columns="x").column_page.number == 1
    )
    client.force_login(coordinator)
    page = client.get(reverse("web:coordinator_matrix")).content.decode()
    assert "JF00" in page  # 5 job functions fit on one column page of 25
    assert "Next job functions" not in page


def test_the_matrix_page_reads_as_many_queries_for_many_rows_as_for_few(
    client,
    coordinator,
    plant,
    django_assert_max_num_queries,
):
    client.force_login(coordinator)
    _requirements(plant, 2)
    # The page's own reads plus the session, the user, the menu: about 26.
    with django_assert_max_num_queries(35) as few:
        assert client.get(reverse("web:coordinator_matrix")).status_code == 200
    _requirements(plant, 12, prefix="MORE")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("web:coordinator_matrix"))
    assert b"MORE-011" in page.content


@pytest.mark.requirement("P195")
def test_the_matrix_reads_its_rows_requirements_without_a_parameter_for_each(coordinator, plant):
    """The requirements under a column page are hundreds on a large plant; given to the
    database as ids, the driver quoted each into the statement (PostgreSQL)."""
    from django.db import connection

    from qualify.training import services as training

    _requirements(plant, 12)
    via = plant.requirement("VIA-000", method=Method.EXTERNAL)
    curriculum = training.curriculum_create(actor=coordinator, code="CUR", title="Basics")
    training.curriculum_item_add(actor=coordinator, curriculum=curriculum, requirement=via)
    plant.matrix(curriculum=curriculum)
    sizes = []

    def parameters(execute, sql, params, many, context):
        sizes.append(len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(parameters):
        grid = matrix_grid(coordinator, at=_now(), per_page=2)
    assert grid.page.paginator.count == 13  # the twelve and the one through the curriculum
    assert [r.code for r, _ in grid.rows] == ["RU-000", "RU-001"]
    # The page's two rows and their two cells are named by id; not all thirteen.
    assert sizes
    assert max(sizes) < 12
    last = matrix_grid(coordinator, at=_now(), per_page=2, page=7)
    assert [(r.code, cells[0].via_curriculum) for r, cells in last.rows] == [("VIA-000", True)]


def _now():
    from django.utils import timezone

    return timezone.now()


def _by_person(by, at):
    """The summary counted person by person in Python: what GROUP BY must equal."""
    late = set(Assignment.objects.filter(overdue_at(at)).values_list("person_id", flat=True))
    groups: dict = {}
    if by == "job_function":
        from qualify.org.models import JobAssignment
        from qualify.training.engine.required import effective_dated

        pairs = JobAssignment.objects.filter(
            effective_dated(at, None), person__in=training_queries.people_at(at)
        ).values_list("job_function__name", "person_id")
    else:
        pairs = training_queries.people_at(at).values_list(f"{by}__name", "pk")
    for name, person in pairs:
        people, ok = groups.setdefault(name or "(none)", (set(), set()))
        people.add(person)
        if person not in late:
            ok.add(person)
    return {name: (len(p), len(o)) for name, (p, o) in groups.items()}


@pytest.mark.parametrize("by", ["site", "department", "job_function"])
def test_the_grouped_summary_equals_the_count_person_by_person(
    by,
    plant,
    coordinator,
    two_sites,
):
    import datetime as dt

    _, packers = two_sites
    crew = [plant.person("Op", job_function=plant.operators) for _ in range(3)]
    plant.person("Pat Packer", job_function=packers, site=two_sites[0])
    plant.person("Nobody Assigned")
    requirement = plant.requirement("RU-LATE", method=Method.EXTERNAL)
    plant.matrix(requirement)
    Assignment.objects.filter(person=crew[0]).update(due_at=_now() - dt.timedelta(days=2))
    at = _now()
    summary = {
        row.name: (row.people, row.compliant)
        for row in training_queries.compliance_summary(by=by, at=at)
    }
    assert summary == _by_person(by, at)
    assert any(compliant < people for people, compliant in summary.values())


def test_compliance_by_framework_counts_each_person_once(plant, coordinator):
    import datetime as dt

    gmp = Framework.objects.create(code="GMP", name="EU GMP")
    psm = Framework.objects.create(code="PSM", name="OSHA PSM")
    plant.operators.frameworks.add(gmp, psm)
    second = org.job_function_create(actor=coordinator, code="OP2", name="Op 2", site=plant.site)
    second.frameworks.add(gmp)
    crew = [plant.person("Op", job_function=plant.operators) for _ in range(2)]
    org.job_assignment_start(
        actor=coordinator, person=crew[0], job_function=second, valid_from=_now()
    )
    plant.matrix(plant.requirement("RU-1", method=Method.EXTERNAL))
    Assignment.objects.filter(person=crew[1]).update(due_at=_now() - dt.timedelta(days=1))
    rows = {
        r.name: (r.people, r.compliant)
        for r in compliance_by_framework(at=_now(), user=coordinator)
    }
    assert rows == {"GMP": (2, 1), "PSM": (2, 1)}


def test_the_dashboard_reads_as_many_queries_for_many_people_as_for_few(
    client,
    coordinator,
    plant,
    django_assert_max_num_queries,
):
    client.force_login(coordinator)
    plant.matrix(plant.requirement("RU-1", method=Method.EXTERNAL))
    for _ in range(2):
        plant.person("Op", job_function=plant.operators)
    with django_assert_max_num_queries(25) as few:
        assert client.get(reverse("web:coordinator_dashboard")).status_code == 200
    for _ in range(15):
        plant.person("More", job_function=plant.operators)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("web:coordinator_dashboard")).status_code == 200


@pytest.mark.requirement("P204")
def test_the_dashboard_shows_a_page_of_each_group_and_links_the_whole_list(
    client, coordinator, plant
):
    """Issue 18: a plant with more job functions than a page holds gets a page of them,
    each group paged on its own, and the compliance report for the whole list."""
    from qualify.web.coordinator.queries import DASHBOARD_ROWS

    plant.matrix(plant.requirement("RU-1", method=Method.EXTERNAL))
    for n in range(DASHBOARD_ROWS + 1):
        held = org.job_function_create(actor=coordinator, code=f"JF{n:03d}", name=f"J{n:03d}")
        plant.person(f"Holder {n}", job_function=held)
    client.force_login(coordinator)
    url = reverse("web:coordinator_dashboard")

    first = client.get(url, {"site": "1"}).content.decode()
    assert "J000" in first
    assert f"J{DASHBOARD_ROWS - 1:03d}" in first
    assert f"J{DASHBOARD_ROWS:03d}" not in first
    assert f"1\N{EN DASH}{DASHBOARD_ROWS} of {DASHBOARD_ROWS + 1}" in first
    assert 'href="?site=1&amp;job_function=2#g3"' in first
    assert f'href="{reverse("web:report-compliance")}?by=job_function"' in first

    second = client.get(url, {"job_function": "2"}).content.decode()
    assert f"J{DASHBOARD_ROWS:03d}" in second
    assert "J000" not in second
    assert 'href="?job_function=1#g3"' in second
    # The other groups are still on their first page.
    assert plant.site.name in second
    assert client.get(f"{reverse('web:report-compliance')}?by=job_function").status_code == 200
