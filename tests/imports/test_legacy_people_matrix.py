"""Go-live migration of people with their job history and of the training matrix
(issue 11, point 6): bad rows are refused with their line and reason while the valid
ones are written, or nothing with --all-or-nothing; re-running creates nothing twice."""

import csv
import io

import pytest

from qualify.api.legacy.matrix import import_matrix
from qualify.api.legacy.people import import_people_history
from qualify.org.models import JobAssignment, Person
from qualify.signatures.services import signatures_of
from qualify.training.models import Assignment, LegacyImport, MatrixEntry
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

PEOPLE_HEADER = [
    "employee_number",
    "full_name",
    "email",
    "site",
    "job_function",
    "valid_from",
    "valid_to",
    "manager",
]


def people_file(tmp_path, plant, *, count=2000, encoding="utf-8"):
    """`count` people with a job history of one or two jobs, a few bad rows; returns
    (path, {line: expected words})."""
    plant.job_function("QC", "QC analyst")
    rows, bad = [], {}
    for i in range(count):
        number = f"H{i:05d}"
        manager = f"H{i + 1:05d}" if i % 7 == 0 and i + 1 < count else ""
        rows.append(
            [
                number,
                f"Zoë Ødegård {i}",
                f"p{i}@plant.example",
                "DUB",
                "OP",
                "2019-03-01T06:00:00+00:00",
                "2022-03-01T06:00:00+00:00" if i % 3 == 0 else "",
                manager,
            ]
        )
        if i % 3 == 0:
            rows.append([number, "", "", "", "QC", "2022-03-01T06:00:00+00:00", "", ""])
    for words, row in (
        (
            "No job function 'WELDER'",
            ["B00001", "Bad Job", "", "DUB", "WELDER", "2020-01-01T00:00:00Z", "", ""],
        ),
        ("zone", ["B00002", "Naive Time", "", "DUB", "OP", "2020-01-01 08:00", "", ""]),
        ("No site 'MARS'", ["B00003", "No Site", "", "MARS", "", "", "", ""]),
        (
            "Must be after valid_from",
            [
                "B00004",
                "Backwards",
                "",
                "DUB",
                "OP",
                "2021-01-01T00:00:00Z",
                "2020-01-01T00:00:00Z",
                "",
            ],
        ),
    ):
        rows.append(row)
        bad[len(rows) + 1] = words
    sink = io.StringIO(newline="")
    out = csv.writer(sink)
    out.writerow(PEOPLE_HEADER)
    out.writerows(rows)
    path = tmp_path / "hr-history.csv"
    path.write_bytes(sink.getvalue().encode(encoding))
    return path, bad


@pytest.mark.requirement("R2", "P17", "T1")
def test_people_and_job_history_are_imported_and_bad_rows_refused_with_their_reason(
    tmp_path, plant
):
    path, bad = people_file(tmp_path, plant, encoding="cp1252")

    outcome = import_people_history(
        actor=plant.coordinator, path=str(path), source_system="SAP", encoding="cp1252"
    )

    assert outcome.problem == ""
    refused = dict(outcome.refusals)
    assert sorted(refused) == sorted(bad)
    for line, words in bad.items():
        assert words in refused[line], (line, refused[line])
    assert outcome.created == 2000
    assert Person.objects.filter(employee_number__startswith="H").count() == 2000
    assert not Person.objects.filter(employee_number__startswith="B").exists()
    zoe = Person.objects.get(employee_number="H00000")
    assert zoe.full_name == "Zoë Ødegård 0"
    assert zoe.manager.employee_number == "H00001"
    jobs = JobAssignment.objects.filter(person=zoe).order_by("valid_from")
    assert [j.job_function.code for j in jobs] == ["OP", "QC"]
    report = LegacyImport.objects.get(kind="people")
    assert (report.created, report.refused, report.applied) == (2000, 4, True)

    again = import_people_history(
        actor=plant.coordinator, path=str(path), source_system="SAP", encoding="cp1252"
    )
    assert again.created == 0
    assert Person.objects.filter(employee_number__startswith="H").count() == 2000
    assert JobAssignment.objects.filter(person=zoe).count() == 2


@pytest.mark.requirement("R2")
def test_people_all_or_nothing_writes_nobody_when_a_row_is_refused(tmp_path, plant):
    path, _ = people_file(tmp_path, plant, count=300)
    outcome = import_people_history(
        actor=plant.coordinator, path=str(path), source_system="SAP", all_or_nothing=True
    )
    assert outcome.refused == 4
    assert not Person.objects.filter(employee_number__startswith="H").exists()
    assert LegacyImport.objects.get().applied is False


@pytest.mark.requirement("R2")
def test_a_person_whose_manager_is_refused_is_refused_too(tmp_path, plant):
    content = (
        "employee_number,full_name,site,manager\nM1,Manager,MARS,\nM2,Report,DUB,M1\nM3,Fine,DUB,\n"
    )
    path = tmp_path / "managers.csv"
    path.write_text(content)
    outcome = import_people_history(actor=plant.coordinator, path=str(path))
    assert dict(outcome.refusals) == {
        2: "site: No site 'MARS'.",
        3: "manager: M1 is refused on another line.",
    }
    assert list(
        Person.objects.filter(employee_number__startswith="M").values_list(
            "employee_number", flat=True
        )
    ) == ["M3"]


@pytest.mark.requirement("G1", "S1", "S2", "R2")
def test_the_matrix_is_imported_approved_by_qa_and_assigns_training(tmp_path, plant):
    holder = plant.person("Olivia", job_function=plant.operators)
    first = plant.requirement("RU-1", document=plant.document("SOP-601"))
    second = plant.requirement("RU-2", document=plant.document("SOP-602"))
    content = (
        "job_function,requirement,valid_from,time_zone,window_days,reason\n"
        "OP,RU-1,2024-01-01 00:00,Europe/Dublin,14,Operators read SOP-601\n"
        "op,ru-2,2024-01-01T00:00:00+00:00,,,\n"
        "WELDER,RU-1,2024-01-01T00:00:00+00:00,,,\n"
        "OP,RU-1,2024-01-01 00:00,,,\n"
    )
    path = tmp_path / "matrix.csv"
    path.write_text(content)

    refused_without_qa = import_matrix(actor=plant.coordinator, path=str(path))
    assert "QA approver" in refused_without_qa.problem
    assert not MatrixEntry.objects.filter(requirement__in=[first, second]).exists()

    outcome = import_matrix(
        actor=plant.coordinator,
        path=str(path),
        source_system="Excel matrix",
        qa_username=plant.qa.username,
        qa_password=PASSWORD,
    )

    refused = dict(outcome.refusals)
    assert sorted(refused) == [4, 5]
    assert refused[4] == "job_function: no job function 'WELDER'."
    assert "zone" in refused[5]
    entries = MatrixEntry.objects.filter(requirement__in=[first, second])
    assert entries.count() == 2
    assert all(signatures_of(e).filter(meaning="approved").exists() for e in entries)
    assert Assignment.objects.filter(person=holder, requirement__in=[first, second]).count() == 2
    assert entries.get(requirement=first).window_days == 14

    again = import_matrix(
        actor=plant.coordinator,
        path=str(path),
        qa_username=plant.qa.username,
        qa_password=PASSWORD,
    )
    assert (again.created, again.skipped) == (0, 2)
    assert MatrixEntry.objects.filter(requirement__in=[first, second]).count() == 2


@pytest.mark.requirement("S1")
def test_a_wrong_qa_password_adds_no_matrix_entry(tmp_path, plant):
    plant.requirement("RU-9", document=plant.document("SOP-609"))
    path = tmp_path / "matrix.csv"
    path.write_text("job_function,requirement,valid_from\nOP,RU-9,2024-01-01T00:00:00Z\n")
    outcome = import_matrix(
        actor=plant.coordinator, path=str(path), qa_username=plant.qa.username, qa_password="no"
    )
    assert outcome.problem
    assert not MatrixEntry.objects.filter(requirement__code="RU-9").exists()


@pytest.mark.requirement("P17")
def test_a_file_not_in_the_named_encoding_is_refused_with_the_line(tmp_path, plant):
    path = tmp_path / "utf16.csv"
    path.write_bytes(
        "employee_number,full_name,site\nX1,Zoë,DUB\n".encode()[:-8] + b"\xff\xfe,DUB\n"
    )
    outcome = import_people_history(actor=plant.coordinator, path=str(path), encoding="utf-8")
    assert outcome.problem.startswith("line 2: the file is not in utf-8")
    assert not Person.objects.filter(employee_number="X1").exists()
    assert LegacyImport.objects.count() == 0
