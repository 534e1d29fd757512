"""P16: a number is read from input only when written in ASCII digits within what a
database column holds. Python's str.isdigit() also takes "²" and other digits that
int() refuses with a ValueError: such input was a server error (found by the API fuzz
on /api/v1/access-history/?user=²); it is now "no such row" or a form error."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from qualify.edge import MAX_ID, whole_number

pytestmark = pytest.mark.requirement("P16")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("42", 42),
        (" 7 ", 7),
        (7, 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("²", None),
        ("1²", None),
        ("٣", None),  # an Arabic-Indic three: int() reads it, an id is ASCII
        ("-1", None),
        ("+1", None),
        ("1.0", None),
        ("", None),
        (None, None),
    ],
)
def test_whole_numbers_are_ascii_digits_a_database_holds(text, number):
    assert whole_number(text) == number


@pytest.mark.django_db
def test_a_user_id_of_lookalike_digits_names_no_account_not_a_server_error(admin):
    api = APIClient()
    api.force_authenticate(admin)
    answer = api.get("/api/v1/access-history/", {"user": "²"})
    assert answer.status_code == 404


@pytest.mark.django_db
def test_a_lookup_field_posted_lookalike_digits_is_an_invalid_choice(client, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("web:coordinator_assignments"), {"job_function": "²"})
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
