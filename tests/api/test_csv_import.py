"""P7: `qualify import people FILE.csv`, all or nothing, errors per row; round trip."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from qualify.org.models import Person
from tests.api.conftest import session

pytestmark = pytest.mark.requirement("P7")

HEADER = "employee_number,full_name,email,site,department,manager,active,job_function,"
GOOD = (
    HEADER
    + """valid_from,valid_to
E100,Brid Walsh,brid@plant.example,DUB,,,true,OP,2024-01-01T00:00:00Z,
E101,Cian Doyle,cian@plant.example,DUB,,E100,true,OP,2024-02-01T00:00:00Z,2024-12-01T00:00:00Z
E102,Dara Kelly,,DUB,,,true,,,
"""
)


def write(tmp_path, text):
    path = tmp_path / "people.csv"
    path.write_text(text)
    return str(path)


def test_import_then_people_endpoint_returns_the_same_data(tmp_path, plant, coordinator):
    out = StringIO()
    call_command(
        "import", "people", write(tmp_path, GOOD), "--as", coordinator.username, stdout=out
    )
    assert "3 people created" in out.getvalue()
    rows = session(coordinator).get("/api/v1/people/").json()["results"]
    by_number = {r["employee_number"]: r for r in rows}
    assert by_number["E100"]["full_name"] == "Brid Walsh"
    assert by_number["E100"]["email"] == "brid@plant.example"
    assert by_number["E101"]["manager"] == "E100"
    jobs = by_number["E101"]["job_assignments"]
    assert [(j["job_function"], j["valid_from"], j["valid_to"]) for j in jobs] == [
        ("OP", "2024-02-01T00:00:00Z", "2024-12-01T00:00:00Z")
    ]
    assert by_number["E102"]["job_assignments"] == []
    # The same file again changes nothing.
    out = StringIO()
    call_command(
        "import", "people", write(tmp_path, GOOD), "--as", coordinator.username, stdout=out
    )
    assert "0 people created, 3 updated" in out.getvalue()


def test_dry_run_writes_nothing(tmp_path, plant, coordinator):
    out = StringIO()
    path = write(tmp_path, GOOD)
    call_command("import", "people", path, "--dry-run", "--as", coordinator.username, stdout=out)
    assert "Would import 3 row(s)" in out.getvalue()
    assert not Person.objects.filter(employee_number__startswith="E10").exists()


def test_errors_are_reported_per_row_and_nothing_is_imported(tmp_path, plant, coordinator):
    bad = GOOD + "E103,,x,NOPE,,,true,,,\nE104,Eve,,DUB,,,true,XX,2024-01-01T00:00:00Z,\n"
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import", "people", write(tmp_path, bad), "--as", coordinator.username, stderr=err
        )
    text = err.getvalue()
    assert "line 5: full_name" in text
    assert "line 5: email" in text
    assert "line 6: job_assignments.0.job_function" in text
    assert not Person.objects.filter(employee_number__startswith="E10").exists()


def test_unknown_columns_are_refused(tmp_path, plant, coordinator):
    with pytest.raises(CommandError):
        call_command(
            "import",
            "people",
            write(tmp_path, "employee_number,full_name,site,shoe_size\n"),
            "--as",
            coordinator.username,
            stderr=StringIO(),
        )
