"""U1: a user id is never reused or deleted (deactivated only)."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from qualify.accounts.models import User
from qualify.accounts.services import user_create, user_deactivate, user_reactivate
from tests.personas import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("U1")]


def test_a_user_is_never_deleted(employee):
    with pytest.raises(PermissionError, match="never deleted"):
        employee.delete()
    assert User.objects.filter(pk=employee.pk).exists()


def test_a_bulk_delete_of_users_is_refused(employee, trainer):
    with pytest.raises(PermissionError, match="never deleted"):
        User.objects.filter(pk__in=[employee.pk, trainer.pk]).delete()
    assert User.objects.filter(pk__in=[employee.pk, trainer.pk]).count() == 2


def test_a_user_is_deactivated_instead_and_can_no_longer_log_in(admin, employee):
    user_deactivate(actor=admin, user=employee, reason="Left the company")
    employee.refresh_from_db()
    assert not employee.is_active
    assert employee.deactivated_at is not None
    assert authenticate(None, username="employee", password=PASSWORD) is None


def test_a_deactivated_user_can_be_reactivated_with_the_same_id(admin, employee):
    user_deactivate(actor=admin, user=employee, reason="Left the company")
    user_reactivate(actor=admin, user=employee, reason="Rehired")
    assert authenticate(None, username="employee", password=PASSWORD) == employee


def test_the_user_id_of_a_deactivated_user_is_never_reused(admin, employee):
    user_deactivate(actor=admin, user=employee, reason="Left the company")
    with pytest.raises(ValidationError) as refused:
        user_create(actor=admin, username="employee", printed_name="Someone Else")
    assert "username" in refused.value.message_dict


@pytest.mark.parametrize("spelling", ["Employee", "EMPLOYEE", " employee "])
def test_a_user_id_is_not_reused_with_other_capitals_or_spaces(admin, employee, spelling):
    with pytest.raises(ValidationError) as refused:
        user_create(actor=admin, username=spelling, printed_name="Someone Else")
    assert "never reused" in refused.value.message_dict["username"][0]


def test_the_database_refuses_a_user_id_differing_only_in_capitals(employee):
    # The index holds where the service's check cannot: concurrent creation.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="EmPloyee", printed_name="Someone Else")


def test_a_user_id_logs_in_whatever_its_capitals(employee):
    # One id, one person: "EMPLOYEE" names the account "employee".
    assert authenticate(None, username="EMPLOYEE", password=PASSWORD) == employee
