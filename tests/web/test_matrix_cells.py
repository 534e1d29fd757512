"""P173: the matrix page's cells are made in Python (qualify.web.coordinator.matrix_cells)
with the markup the template gave: the window, an entry through a curriculum named
without an end link, the end link only for who may change the matrix, text escaped."""

import re

import pytest
from django.urls import reverse

from qualify.training import services as training
from qualify.training.models import Method
from tests.web.pages_support import plant  # noqa: F401

pytestmark = [pytest.mark.requirement("P173", "P65"), pytest.mark.django_db]


@pytest.fixture
def entries(plant, coordinator):  # noqa: F811
    direct = plant.matrix(
        plant.requirement("RU-DIRECT", method=Method.EXTERNAL),
        reason='Operators <b>fill</b> & "seal"',
        window_days=14,
    )
    requirement = plant.requirement("RU-VIA", method=Method.EXTERNAL)
    curriculum = training.curriculum_create(
        actor=coordinator, code="CUR-FILL", title="Filling basics"
    )
    training.curriculum_item_add(actor=coordinator, curriculum=curriculum, requirement=requirement)
    return direct, plant.matrix(curriculum=curriculum)


def _row(page: str, code: str) -> str:
    found = re.search(rf'<span class="code">{code}</span>.*?</tr>', page, re.S)
    assert found, code
    return found.group(0)


def test_a_cell_shows_its_window_and_its_end_to_who_may_change_the_matrix(
    client, coordinator, auditor, entries
):
    direct, _via = entries
    end = reverse("web:coordinator_matrix_end", args=[direct.pk])
    client.force_login(coordinator)
    row = _row(client.get(reverse("web:coordinator_matrix")).content.decode(), "RU-DIRECT")
    assert '<td class="cell on"><span title="from ' in row
    assert "✓ 14d</span>" in row
    assert f' <a class="end" href="{end}" aria-label="End {direct}">end</a></td>' in row
    client.force_login(auditor)
    row = _row(client.get(reverse("web:coordinator_matrix")).content.decode(), "RU-DIRECT")
    assert "✓ 14d</span></td>" in row
    assert 'class="end"' not in row


def test_a_cell_through_a_curriculum_names_it_and_has_no_end_link(client, coordinator, entries):
    client.force_login(coordinator)
    row = _row(client.get(reverse("web:coordinator_matrix")).content.decode(), "RU-VIA")
    assert "<small> via CUR-FILL</small></td>" in row
    assert 'class="end"' not in row


def test_the_cells_text_is_escaped(client, coordinator, entries):
    client.force_login(coordinator)
    row = _row(client.get(reverse("web:coordinator_matrix")).content.decode(), "RU-DIRECT")
    assert ': Operators &lt;b&gt;fill&lt;/b&gt; &amp; &quot;seal&quot;">' in row
    assert "<b>fill" not in row


@pytest.mark.requirement("P210")
def test_a_row_heads_with_its_requirement_its_method_and_its_recurrence(
    client,
    coordinator,
    plant,  # noqa: F811
):
    plant.matrix(plant.requirement("RU-ONCE", method=Method.EXTERNAL))
    plant.matrix(plant.requirement("RU-YEARLY", method=Method.EXTERNAL, recurrence_months=12))
    plant.matrix(
        plant.requirement("RU-GRACE", method=Method.EXTERNAL, recurrence_months=24, grace_days=30)
    )
    client.force_login(coordinator)
    page = client.get(reverse("web:coordinator_matrix")).content.decode()
    label = Method.EXTERNAL.label
    heading = '<tr><th scope="row"><span class="code">{}</span><br><small>{}</small></th>'
    for code, recurs in (
        ("RU-ONCE", "\u2013"),
        ("RU-YEARLY", "12 mo"),
        ("RU-GRACE", "24 mo<br><small>grace 30d</small>"),
    ):
        assert heading.format(code, label) + f"\n    <td>{recurs}</td>" in page
