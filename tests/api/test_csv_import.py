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
    assert "line 6: job_function: No job function 'XX'" in text
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


# --- P17: the whole file checked first, every bad row reported, then written in bulk ---


def import_file(tmp_path, coordinator, content: bytes | str, *extra):
    path = tmp_path / "people.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    out, err = StringIO(), StringIO()
    try:
        call_command(
            "import", "people", str(path), "--as", coordinator.username, *extra,
            stdout=out, stderr=err,
        )  # fmt: skip
    except CommandError as exc:
        return False, err.getvalue() + str(exc)
    return True, out.getvalue()


@pytest.fixture
def sop(plant):
    document = plant.document("SOP-001")
    plant.approve(plant.revise(document, "1"))
    requirement = plant.requirement("RQ-SOP-001", document=document)
    plant.matrix(requirement)
    return requirement


def numbered(count: int, start: int = 1000) -> str:
    return "".join(
        f"E{start + i},Person {i},,DUB,,,true,OP,2024-01-01T00:00:00Z,\n" for i in range(count)
    )


@pytest.mark.requirement("P17")
def test_every_bad_row_is_reported_with_its_line_before_anything_is_written(
    tmp_path, plant, coordinator
):
    from qualify.audit.models import AuditEvent

    events_before = AuditEvent.objects.count()
    text = (
        HEADER
        + "valid_from,valid_to\n"
        + "E200,,,DUB,,,true,,,\n"  # line 2: no name
        + numbered(300)  # lines 3-302: good
        + "E201,Zoe,,DUB,,,perhaps,,,\n"  # line 303: active is not a boolean
        + "E202,Yan,,DUB,,,true,OP,2026-03-01T08:00:00,\n"  # line 304: no zone
        + "E203,Xia,,DUB,,E999,true,,,\n"  # line 305: unknown manager
    )
    ok, output = import_file(tmp_path, coordinator, text)
    assert not ok
    assert "line 2: full_name: This field is required." in output
    assert "line 303: active" in output
    assert "line 304: valid_from: A time zone is required (T1)" in output
    assert "line 305: manager: No person 'E999'." in output
    assert "nothing was imported" in output
    assert not Person.objects.filter(employee_number__startswith="E").exists()
    assert AuditEvent.objects.count() == events_before


@pytest.mark.requirement("P17")
def test_duplicates_within_the_file_are_reported(tmp_path, plant, coordinator):
    text = (
        HEADER
        + "valid_from,valid_to\n"
        + "E300,Ann,,DUB,,,true,OP,2024-01-01T00:00:00Z,\n"
        + "E300,,,,,,,OP,2024-01-01T00:00:00Z,\n"  # the same job assignment again
        + "E300,Anne,,,,,,,,\n"  # another name for the same person
        + "E301,Bob,,DUB,,,true,OP,2024-01-01T00:00:00Z,\n"
        + "E301,,,,,,,OP,2024-06-01T00:00:00Z,\n"  # overlaps the open one above
    )
    ok, output = import_file(tmp_path, coordinator, text)
    assert not ok
    assert "line 3: job_function: The same job assignment is on line 2." in output
    assert "line 4: full_name: 'Anne' differs from line 2 for E300." in output
    assert "line 6: valid_from: Overlaps the job assignment on line 5 (T2)." in output
    assert not Person.objects.filter(employee_number__in=["E300", "E301"]).exists()


@pytest.mark.requirement("P17", "G2", "A1")
def test_a_bulk_import_assigns_and_audits_as_the_api_does(tmp_path, plant, coordinator, sop):
    from qualify.audit.models import AuditEvent
    from qualify.training.models import Assignment

    text = (
        HEADER
        + "valid_from,valid_to\n"
        + "E401,Cara,,DUB,,E400,true,OP,2024-01-01T00:00:00Z,\n"  # manager on a later line
        + "E400,Dan,,DUB,,,true,OP,2024-01-01T00:00:00Z,\n"
        + "E402,Eve,,DUB,,,false,OP,2024-01-01T00:00:00Z,\n"  # already gone
    )
    ok, output = import_file(tmp_path, coordinator, text)
    assert ok, output
    assert "3 people created" in output
    cara = Person.objects.get(employee_number="E401")
    assert cara.manager.employee_number == "E400"
    for number in ("E400", "E401"):
        person = Person.objects.get(employee_number=number)
        assert Assignment.objects.get(person=person, requirement=sop).status == "open"
        assert AuditEvent.objects.filter(
            action="org.person.created", object_id=str(person.pk)
        ).exists()
        job = person.job_assignments.get()
        assert AuditEvent.objects.filter(
            action="org.job_assignment.started", object_id=str(job.pk)
        ).exists()
    eve = Person.objects.get(employee_number="E402")
    assert not eve.active
    assert Assignment.objects.get(person=eve, requirement=sop).status == "cancelled"
    # The same person through the API gets the same assignment, due the same day.
    api = session(coordinator)
    body = {
        "employee_number": "E403",
        "full_name": "Fin",
        "site": "DUB",
        "job_assignments": [{"job_function": "OP", "valid_from": "2024-01-01T00:00:00Z"}],
    }
    assert api.post("/api/v1/people/", body, format="json").status_code == 201
    by_api = Assignment.objects.get(person__employee_number="E403", requirement=sop)
    by_file = Assignment.objects.get(person__employee_number="E400", requirement=sop)
    assert abs(by_api.due_at - by_file.due_at).total_seconds() < 60
    assert (by_api.reason, by_api.reason_text) == (by_file.reason, by_file.reason_text)


NAMES = HEADER + "valid_from,valid_to\nE500,Zoë Ní Bhriain,,DUB,,,true,,,\n"


@pytest.mark.requirement("P17")
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "latin-1"])
def test_utf16_with_bom_and_latin1_files_are_read_correctly(tmp_path, plant, coordinator, encoding):
    ok, output = import_file(tmp_path, coordinator, NAMES.encode(encoding))
    assert ok, output
    assert Person.objects.get(employee_number="E500").full_name == "Zoë Ní Bhriain"


@pytest.mark.requirement("P17")
@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4,
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(200)),
        b"",
        b"employee_number,full_name,site\nE1,\x00\x00,DUB\n",
    ],
    ids=["png", "xlsx", "empty", "nul"],
)
def test_binary_and_empty_files_get_a_clear_error_not_a_traceback(
    tmp_path, plant, coordinator, content
):
    ok, output = import_file(tmp_path, coordinator, content)
    assert not ok
    assert "Traceback" not in output
    assert "not a CSV text file" in output or "empty" in output
    assert not Person.objects.filter(employee_number="E1").exists()


@pytest.mark.requirement("P17")
def test_a_missing_file_is_an_error_not_a_traceback(tmp_path, plant, coordinator):
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import", "people", str(tmp_path / "nope.csv"), "--as", coordinator.username,
            stderr=err,
        )  # fmt: skip
    assert "The file cannot be read: No such file or directory." in err.getvalue()


@pytest.mark.requirement("P17")
def test_an_employee_number_in_other_letter_case_is_the_same_person(tmp_path, plant, coordinator):
    text = HEADER + "valid_from,valid_to\nE600,Gil,,DUB,,,true,,,\n"
    assert import_file(tmp_path, coordinator, text)[0]
    again = HEADER + "valid_from,valid_to\ne600,Gil,,DUB,,,true,,,\nE601,Hal,,DUB,,e600,true,,,\n"
    ok, output = import_file(tmp_path, coordinator, again)
    assert ok, output
    assert "1 people created, 1 updated" in output
    assert Person.objects.get(employee_number="E601").manager.employee_number == "E600"


# --- the bulk endpoint: checked first, written in bulk ---------------------------------


def person_json(number, **extra):
    body = {
        "employee_number": number,
        "full_name": f"Person {number}",
        "site": "DUB",
        "job_assignments": [{"job_function": "OP", "valid_from": "2024-01-01T00:00:00Z"}],
    }
    return {**body, **extra}


@pytest.mark.requirement("P17")
def test_the_bulk_endpoint_refuses_one_person_twice_before_writing(plant, coordinator):
    api = session(coordinator)
    people = [person_json("E700"), person_json("E701"), person_json("e700")]
    response = api.post("/api/v1/people/bulk/", {"people": people}, format="json")
    assert response.status_code == 400
    assert "e700 is also at people.0." in response.json()["errors"]["people.2.employee_number"][0]
    assert not Person.objects.filter(employee_number__in=["E700", "E701"]).exists()


@pytest.mark.requirement("P17", "G2")
def test_the_bulk_endpoint_creates_in_bulk_with_g2_and_updates_known_people(
    plant, coordinator, sop
):
    from qualify.training.models import Assignment

    api = session(coordinator)
    first = api.post("/api/v1/people/bulk/", {"people": [person_json("E710")]}, format="json")
    assert first.status_code == 200, first.json()
    people = [person_json("E710", full_name="Renamed"), person_json("E711")]
    response = api.post("/api/v1/people/bulk/", {"people": people}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"]) == (1, 1)
    assert [p["full_name"] for p in body["people"]] == ["Renamed", "Person E711"]
    for number in ("E710", "E711"):
        assert Assignment.objects.get(person__employee_number=number, requirement=sop).status == (
            "open"
        )
