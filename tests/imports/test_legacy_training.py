"""Go-live migration of training history (issue 11, point 6): real-looking legacy
exports built here (thousands of rows, Latin-1 and UTF-8, XLSX, bad rows), imported
with `qualify import legacy training`. Migrated records are marked (R2) and never
shown or counted as signed here; attested times need their zone and are never in the
future (T1); a signed migration report lists what was read, created and refused."""

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from qualify.accounts import roles
from qualify.api.legacy.common import report_verify
from qualify.api.legacy.report import report_csv, report_pdf
from qualify.api.legacy.training import import_training
from qualify.audit.models import AuditEvent
from qualify.audit.registry import object_type_of
from qualify.org.models import Person
from qualify.signatures.services import signatures_of
from qualify.training import engine
from qualify.training.engine.answers import Reason
from qualify.training.models import LegacyImport, Method, TrainingRecord
from tests.personas import make_user
from tests.training.support import DAY, creds

pytestmark = pytest.mark.django_db

HEADER = [
    "employee_number",
    "requirement",
    "completed_at",
    "time_zone",
    "method",
    "trainer",
    "revision",
    "score",
    "source_system",
    "notes",
]
PEOPLE = 60


@pytest.fixture
def history(plant):
    """60 operators, a document-linked read-and-understand with two past revisions, a
    classroom requirement with its trainer."""
    people = [plant.person("Operator") for _ in range(PEOPLE)]
    long_ago = timezone.now() - dt.timedelta(days=3 * 365)
    document = plant.document("SOP-100", effective_from=long_ago)
    plant.revise(document, "2", effective_from=timezone.now() - dt.timedelta(days=365))
    reading = plant.requirement("RU-SOP-100", document=document)
    trainer, certificate = plant.qualified_trainer()
    classroom = plant.requirement(
        "GMP-BASICS", method=Method.CLASSROOM, trainer_requirement=certificate
    )
    return people, reading, classroom, trainer


def legacy_rows(people, trainer, count=3000):
    """`count` good rows: reading records spread over two years (local Dublin times
    with the zone column, or UTC offsets), every tenth a classroom session."""
    start = timezone.now() - dt.timedelta(days=730)
    rows = []
    for n in range(count):
        person = people[n % len(people)]
        when = start + dt.timedelta(hours=5 * n + 1)
        if n % 10 == 0:
            rows.append(
                [
                    person.employee_number,
                    "GMP-BASICS",
                    when.isoformat(),
                    "",
                    "classroom",
                    trainer.employee_number,
                    "",
                    "",
                    "",
                    f"Session n°{n} \u2013 salle B",
                ]
            )
        elif n % 2:
            local = when.astimezone(dt.timezone(dt.timedelta(hours=0)))
            rows.append(
                [
                    person.employee_number,
                    "ru-sop-100",  # codes match whatever their letter case
                    local.strftime("%Y-%m-%d %H:%M:%S"),
                    "Europe/Dublin",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "Lu et compris",
                ]
            )
        else:
            rows.append(
                [
                    person.employee_number,
                    "RU-SOP-100",
                    when.isoformat(),
                    "",
                    "read",
                    "",
                    "",
                    "92.5",
                    "",
                    "",
                ]
            )
    return rows


BAD = [
    (["E99999", "RU-SOP-100", "2024-03-05T10:00:00+00:00"], "no person 'E99999'"),
    (["E00001", "NO-SUCH", "2024-03-05T10:00:00+00:00"], "no training requirement 'NO-SUCH'"),
    (["E00001", "RU-SOP-100", "2024-03-05 10:00:00"], "zone"),
    (["E00001", "RU-SOP-100", "next tuesday"], "not a date and time"),
    (["E00002", "RU-SOP-100", "2099-01-01T10:00:00+00:00"], "in the future"),
    (["E00003", "GMP-BASICS", "2024-03-05T10:00:00+00:00", "", "classroom"], "names its trainer"),
    (["E00004", "RU-SOP-100", "2024-03-05T10:00:00", "Mars/Olympus"], "not a time zone name"),
    (["E00005", "RU-SOP-100", "2024-03-05T10:00:00+00:00", "", "telepathy"], "method"),
    (
        ["E00006", "RU-SOP-100", "2024-03-05T10:00:00+00:00", "", "", "", "9"],
        "no approved revision",
    ),
    (["E00007", "RU-SOP-100", "1990-01-01T10:00:00+00:00"], "no version of SOP-100 was in force"),
]


def write_csv(path: Path, rows, *, encoding="utf-8", header=HEADER) -> Path:
    sink = io.StringIO(newline="")
    out = csv.writer(sink)
    out.writerow(header)
    for row in rows:
        out.writerow(row + [""] * (len(header) - len(row)))
    path.write_bytes(sink.getvalue().encode(encoding))
    return path


def mixed_file(tmp_path, history, *, encoding="utf-8"):
    """Good rows with the bad ones scattered through; returns (path, {line: expected})."""
    people, _, _, trainer = history
    rows = legacy_rows(people, trainer)
    expected = {}
    for i, (bad, _) in enumerate(BAD):
        position = 150 * (i + 1)
        rows.insert(position, bad)
    for i, (_, why) in enumerate(BAD):
        expected[150 * (i + 1) + 2] = why  # header is line 1
    # The bad rows' employee numbers must exist where the row is about something else.
    return write_csv(tmp_path / "lms-export.csv", rows, encoding=encoding), expected


@pytest.mark.requirement("R2", "T1", "P17")
def test_every_valid_row_is_imported_marked_as_migrated_and_each_bad_row_refused(
    tmp_path, plant, history
):
    path, expected = mixed_file(tmp_path, history)
    before = TrainingRecord.objects.count()

    outcome = import_training(actor=plant.coordinator, path=str(path), source_system="SumTotal")

    assert outcome.problem == ""
    assert outcome.rows_read == 3000 + len(BAD)
    assert outcome.created == 3000
    assert outcome.refused == len(BAD)
    refused = dict(outcome.refusals)
    assert sorted(refused) == sorted(expected)
    for line, why in expected.items():
        assert why in refused[line], (line, refused[line])
    assert TrainingRecord.objects.count() == before + 3000
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    migrated = TrainingRecord.objects.filter(migrated_source="SumTotal")
    assert migrated.count() == 3000
    assert set(migrated.values_list("migrated_sha256", "migrated_file")) == {
        (sha, "lms-export.csv")
    }
    # R2: each record names its row; the first data row is line 2.
    first = migrated.get(migrated_row=2)
    assert first.requirement.code == "GMP-BASICS"
    assert first.trainer.employee_number == history[3].employee_number
    report = outcome.report
    assert report.applied
    assert (report.rows_read, report.created, report.refused) == (3010, 3000, 10)
    assert migrated.filter(migration=report).count() == 3000
    # A1: one audit event per record, in the same transaction.
    assert AuditEvent.objects.filter(action="training.record.migrated").count() == 3000


@pytest.mark.requirement("Q1", "T1")
def test_local_times_are_read_in_their_zone_and_bound_to_the_version_then_in_force(
    tmp_path, plant, history
):
    people, reading, _, _ = history
    document = reading.document
    rev1, rev2 = document.versions.order_by("sequence")
    old = (rev2.effective_from - dt.timedelta(days=30)).astimezone(dt.UTC)
    rows = [
        [people[0].employee_number, "RU-SOP-100", "2025-07-01 09:00:00", "Europe/Dublin"],
        [people[1].employee_number, "RU-SOP-100", old.strftime("%Y-%m-%dT%H:%M:%S+00:00")],
        [
            people[2].employee_number,
            "RU-SOP-100",
            old.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "",
            "",
            "",
            "2",
        ],
    ]
    path = write_csv(tmp_path / "few.csv", rows)

    outcome = import_training(actor=plant.coordinator, path=str(path), source_system="LMS")

    assert outcome.refusals == []
    summer = TrainingRecord.objects.get(person=people[0])
    # Dublin is UTC+1 in July (IST).
    assert summer.completed_at == dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.UTC)
    assert TrainingRecord.objects.get(person=people[1]).document_version == rev1
    assert TrainingRecord.objects.get(person=people[2]).document_version == rev2


@pytest.mark.requirement("R2")
def test_running_the_same_file_again_creates_nothing_twice(tmp_path, plant, history):
    path, _ = mixed_file(tmp_path, history)
    import_training(actor=plant.coordinator, path=str(path), source_system="SumTotal")
    count = TrainingRecord.objects.count()

    again = import_training(actor=plant.coordinator, path=str(path), source_system="SumTotal")

    assert again.created == 0
    assert again.skipped == 3000
    assert again.refused == len(BAD)
    assert TrainingRecord.objects.count() == count


@pytest.mark.requirement("R2")
def test_all_or_nothing_writes_nothing_when_a_row_is_refused_and_dry_run_writes_nothing(
    tmp_path, plant, history
):
    path, _ = mixed_file(tmp_path, history)
    before = TrainingRecord.objects.count()

    dry = import_training(
        actor=plant.coordinator, path=str(path), source_system="SumTotal", dry_run=True
    )
    assert (dry.created, dry.refused, dry.report) == (3000, len(BAD), None)
    assert LegacyImport.objects.count() == 0

    strict = import_training(
        actor=plant.coordinator, path=str(path), source_system="SumTotal", all_or_nothing=True
    )
    assert TrainingRecord.objects.count() == before
    assert strict.report.applied is False
    assert strict.report.created == 0
    assert strict.report.refused == len(BAD)


@pytest.mark.requirement("R2", "P17")
def test_a_latin1_export_is_read_with_its_accents(tmp_path, plant, history):
    # A Windows export: cp1252 (Latin-1 with the en dash of the notes).
    path = tmp_path / "windows-export.csv"
    path.write_bytes(_cp1252(tmp_path, history))
    outcome = import_training(actor=plant.coordinator, path=str(path), source_system="Legacy")
    assert outcome.problem == ""
    assert outcome.created == 3000
    assert TrainingRecord.objects.filter(notes="Session n°10 \u2013 salle B").exists()


def _cp1252(tmp_path, history):
    people, _, _, trainer = history
    sink = io.StringIO(newline="")
    out = csv.writer(sink)
    out.writerow(HEADER)
    out.writerows(legacy_rows(people, trainer))
    return sink.getvalue().encode("cp1252")


@pytest.mark.requirement("T1")
def test_xlsx_date_cells_need_the_time_zone_column(tmp_path, plant, history):
    import openpyxl

    people = history[0]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Employee_Number", "Requirement", "Completed_At", "Time_Zone", "Source_System"])
    for n in range(2000):
        when = dt.datetime(2025, 1, 1, 8, 0) + dt.timedelta(hours=3 * n)
        zone = "" if n == 7 else "America/New_York"
        sheet.append([people[n % PEOPLE].employee_number, "RU-SOP-100", when, zone, "Cornerstone"])
    path = tmp_path / "history.xlsx"
    book.save(path)

    outcome = import_training(actor=plant.coordinator, path=str(path))

    assert outcome.created == 1999
    assert [line for line, _ in outcome.refusals] == [9]
    assert "zone" in outcome.refusals[0][1]
    first = TrainingRecord.objects.get(migrated_row=2)
    assert first.completed_at == dt.datetime(2025, 1, 1, 13, 0, tzinfo=dt.UTC)
    assert first.migrated_source == "Cornerstone"


@pytest.mark.requirement("P17")
@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"employee_number,completed_at\nE00001,2024-01-01T00:00Z\n", "requirement is missing"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (b"", "empty"),
        (
            b"employee_number,requirement,completed_at,colour\nE1,R,2024-01-01T00:00Z,red\n",
            "unknown column colour",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_with_a_reason(tmp_path, plant, content, said):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    outcome = import_training(actor=plant.coordinator, path=str(path), source_system="LMS")
    assert said in outcome.problem
    assert outcome.created == 0
    assert LegacyImport.objects.count() == 0


@pytest.mark.requirement("S2")
def test_own_trainer_and_duplicate_lines_are_refused(tmp_path, plant, history):
    people, _, _, trainer = history
    rows = [
        [
            trainer.employee_number,
            "GMP-BASICS",
            "2024-05-01T10:00:00+00:00",
            "",
            "classroom",
            trainer.employee_number,
        ],
        [people[0].employee_number, "RU-SOP-100", "2025-05-01T10:00:00+00:00"],
        [people[0].employee_number, "RU-SOP-100", "2025-05-01T10:00:00+00:00"],
    ]
    outcome = import_training(
        actor=plant.coordinator, path=str(write_csv(tmp_path / "x.csv", rows)), source_system="L"
    )
    assert dict(outcome.refusals) == {
        2: "trainer: a trainee cannot be their own trainer.",
        4: "the same record is on line 3.",
    }


@pytest.mark.requirement("R2", "S1", "Q4")
def test_a_migrated_record_is_never_shown_or_counted_as_signed_here(tmp_path, plant, history):
    people, reading, _, _ = history
    rows = [[people[0].employee_number, "RU-SOP-100", (timezone.now() - DAY).isoformat()]]
    import_training(
        actor=plant.coordinator, path=str(write_csv(tmp_path / "one.csv", rows)), source_system="L"
    )
    record = TrainingRecord.objects.get(person=people[0])
    assert record.is_migrated
    assert "not signed in Qualify" in record.migration_label
    assert not signatures_of(record).exists()
    answer = engine.qualification(people[0], reading, at=timezone.now())
    assert not answer.qualified
    assert Reason.TRAINEE_SIGNATURE_MISSING in answer.reasons


@pytest.mark.requirement("R2", "S1", "S2")
def test_qa_signs_the_migration_report_and_its_files_show_the_signature(tmp_path, plant, history):
    path, _ = mixed_file(tmp_path, history)
    # Someone holding both roles runs the import: they still may not verify it (S2).
    both = make_user("coordinator_qa", roles.EMPLOYEE, roles.COORDINATOR, roles.QA_APPROVER)
    report = import_training(actor=both, path=str(path), source_system="SumTotal").report

    with pytest.raises(ValidationError, match="ran the migration"):
        report_verify(actor=both, report=report, credentials=creds(both))
    with pytest.raises(PermissionDenied, match="QA approver"):
        report_verify(actor=plant.coordinator, report=report, credentials=creds(plant.coordinator))
    signature = report_verify(
        actor=plant.qa, report=report, credentials=creds(plant.qa), comment="Sample of 50 checked"
    )

    assert signature.meaning == "verified"
    text = report_csv(report)
    assert "Refused,10" in text
    assert f"{hashlib.sha256(path.read_bytes()).hexdigest()}" in text
    assert f"Verified by {plant.qa.printed_name}" in text
    assert "no person 'E99999'" in text
    pdf = report_pdf(report)
    assert pdf.startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        action="training.migration.verified",
        object_type=object_type_of(report),
        object_id=str(report.pk),
    ).exists()
    with pytest.raises(ValidationError, match="already verified"):
        report_verify(actor=plant.qa, report=report, credentials=creds(plant.qa))


@pytest.mark.requirement("P17")
def test_only_a_training_coordinator_imports_history(tmp_path, plant, history, employee):
    path, _ = mixed_file(tmp_path, history)
    outcome = import_training(actor=employee, path=str(path), source_system="LMS")
    assert "coordinator" in outcome.problem
    assert TrainingRecord.objects.filter(migrated_source="LMS").count() == 0


@pytest.mark.requirement("R2", "P17", "P142")
def test_the_command_prints_progress_the_totals_and_writes_the_report(
    tmp_path, plant, history, capsys
):
    path, _ = mixed_file(tmp_path, history)
    call_command(
        "import",
        "legacy",
        "training",
        str(path),
        "--as",
        plant.coordinator.username,
        "--source",
        "SumTotal",
        "--report-dir",
        str(tmp_path / "reports"),
    )
    out, err = capsys.readouterr()
    assert "wrote 3000 of 3000 records" in out
    assert "3010 row(s) read from lms-export.csv" in out
    assert "3000 created, 0 already imported, 10 refused" in out
    assert "line 152: employee_number: no person 'E99999'." in err
    # P142: the bar on stderr, shown finished with its time.
    assert "wrote [########################] 3,000/3,000 100%" in err
    assert "done in" in err
    report = LegacyImport.objects.get()
    assert (tmp_path / "reports" / f"migration-{report.pk}.pdf").read_bytes().startswith(b"%PDF")

    with pytest.raises(CommandError, match="refused"):
        call_command(
            "import",
            "legacy",
            "training",
            str(path),
            "--as",
            plant.coordinator.username,
            "--source",
            "SumTotal",
            "--all-or-nothing",
            "--report-dir",
            str(tmp_path),
        )
    assert Person.objects.count() > 0  # nothing else changed
