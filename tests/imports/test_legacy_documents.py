"""Go-live migration of controlled documents with their past versions and effective
dates (issue 11, point 6): files from a folder or a ZIP are checked by content like an
upload (P18); each version ends where the next begins (Q1, T2); bad rows are refused
with their reason; re-running creates nothing twice."""

import datetime as dt
import zipfile

import pytest
from django.utils import timezone

from qualify.api.legacy.documents import import_documents
from qualify.documents import queries as documents
from qualify.documents.models import Document, VersionStatus
from qualify.signatures.services import signatures_of
from tests.files import pdf

pytestmark = pytest.mark.django_db

HEADER = "number,title,doc_type,owner,revision,effective_from,time_zone,file,change_summary\n"


def export(tmp_path, owner, *, documents_count=200):
    """200 documents of three versions each, a few bad rows; files in a ZIP."""
    archive = tmp_path / "dms-files.zip"
    lines = [HEADER]
    with zipfile.ZipFile(archive, "w") as zf:
        for n in range(documents_count):
            for rev, year in (("A", 2019), ("B", 2021), ("C", 2023)):
                name = f"SOP-{n:03d}-{rev}.txt"
                zf.writestr(name, f"SOP-{n:03d} revision {rev}\n\nStep 1: clean the line.\n")
                lines.append(
                    f"SOP-{n:03d},Procedure {n},sop,{owner},{rev},{year}-03-01 08:00,"
                    f"Europe/Dublin,{name},Revision {rev}\n"
                )
        zf.writestr("evil.html", "<html><script>alert(1)</script></html>")
        zf.writestr("manual.pdf", pdf())
    bad = {
        "file: evil.html": f"BAD-1,Evil,sop,{owner},1,2020-01-01T00:00Z,,evil.html,\n",
        "not among the files": f"BAD-2,Missing,sop,{owner},1,2020-01-01T00:00Z,,gone.pdf,\n",
        "in the future": f"BAD-3,Future,sop,{owner},1,2099-01-01T00:00Z,,,\n",
        "no document controller or QA approver 'nobody'": (
            "BAD-4,Nobody,sop,nobody,1,2020-01-01T00:00Z,,,\n"
        ),
        "doc_type": f"BAD-5,Memo,memo,{owner},1,2020-01-01T00:00Z,,,\n",
        # P189: a number is part of the document's address.
        'cannot hold "/"': f"QA/SOP/6,Slashed,sop,{owner},1,2020-01-01T00:00Z,,,\n",
    }
    expected = {}
    for words, line in bad.items():
        lines.append(line)
        expected[len(lines)] = words
    lines.append(f"MAN-001,Manual,policy,{owner},1,2020-06-01T00:00:00+02:00,,manual.pdf,First\n")
    path = tmp_path / "dms.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path, archive, expected


@pytest.mark.requirement("Q1", "T2", "R2", "P18", "P189")
def test_documents_and_their_past_versions_are_imported_in_force_one_after_the_other(
    tmp_path, plant
):
    path, archive, expected = export(tmp_path, plant.doc_controller.username)

    outcome = import_documents(
        actor=plant.doc_controller, path=str(path), files=str(archive), source_system="Veeva"
    )

    assert outcome.problem == ""
    refused = dict(outcome.refusals)
    assert sorted(refused) == sorted(expected)
    for line, words in expected.items():
        assert words in refused[line], (line, refused[line])
    assert outcome.created == 601
    sop = Document.objects.get(number="SOP-007")
    a, b, c = sop.versions.order_by("sequence")
    assert [v.revision for v in (a, b, c)] == ["A", "B", "C"]
    assert a.effective_to == b.effective_from
    assert b.effective_to == c.effective_from
    assert c.effective_to is None
    assert all(v.status == VersionStatus.APPROVED for v in (a, b, c))
    # Dublin is UTC+0 in March.
    assert b.effective_from == dt.datetime(2021, 3, 1, 8, 0, tzinfo=dt.UTC)
    assert documents.effective_version(sop, at=timezone.now()) == c
    assert documents.effective_version(sop, at=dt.datetime(2022, 1, 1, tzinfo=dt.UTC)) == b
    assert "revision B" in b.content_text
    assert "Migrated from Veeva (dms.csv, row" in b.change_summary
    assert not signatures_of(b).exists()
    manual = Document.objects.get(number="MAN-001").versions.get()
    assert manual.file.name.endswith(".pdf")
    assert len(manual.file_sha256) == 64
    assert not Document.objects.filter(number__startswith="BAD").exists()

    again = import_documents(
        actor=plant.doc_controller, path=str(path), files=str(archive), source_system="Veeva"
    )
    assert (again.created, again.skipped) == (0, 601)
    assert Document.objects.filter(number__startswith="SOP-").count() == 200


@pytest.mark.requirement("R2")
def test_only_a_document_controller_imports_documents(tmp_path, plant):
    path, archive, _ = export(tmp_path, plant.doc_controller.username, documents_count=2)
    outcome = import_documents(actor=plant.coordinator, path=str(path), files=str(archive))
    assert "document controller" in outcome.problem
    assert not Document.objects.filter(number="SOP-000").exists()
