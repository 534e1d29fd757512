"""U1: passwords are hashed with Argon2 and meet a configurable policy."""

import importlib

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from qualify.accounts.models import User
from qualify.accounts.services import user_change_password, user_create
from tests.accounts.helpers import events
from tests.personas import PASSWORD

pytestmark = pytest.mark.requirement("U1")


def test_the_settings_module_hashes_passwords_with_argon2id():
    # Tests run with a fast hasher; the configured one is read from the module.
    configured = importlib.import_module("qualify.settings")
    hasher_class = import_string(configured.PASSWORD_HASHERS[0])
    assert issubclass(hasher_class, Argon2PasswordHasher)
    hasher = hasher_class()
    encoded = hasher.encode("correct horse battery staple 42", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.verify("correct horse battery staple 42", encoded)
    assert not hasher.verify("correct horse battery staple 43", encoded)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Xk7#pQ2m", "too short"),
        ("password1234", "too common"),
        ("739184627391", "entirely numeric"),
        ("jroe.bloggs12", "too similar to the username"),
        ("JaneRobertaRoe", "too similar to the printed name"),
    ],
)
def test_user_create_refuses_a_password_outside_the_policy(password, why):
    with pytest.raises(ValidationError) as refused:
        user_create(
            actor=None, username="jroe.bloggs", printed_name="Jane Roberta Roe", password=password
        )
    assert why in " ".join(refused.value.message_dict["password"])
    assert not User.objects.filter(username="jroe.bloggs").exists()


@pytest.mark.django_db
def test_the_minimum_length_is_configurable(settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 16},
        }
    ]
    with pytest.raises(ValidationError) as refused:
        user_create(actor=None, username="jroe", printed_name="Jane Roe", password="Xk7#pQ2m-w9Lz")
    assert "at least 16 characters" in refused.value.message_dict["password"][0]


@pytest.mark.django_db
def test_a_password_change_meets_the_policy_on_the_new_password_field(employee):
    with pytest.raises(ValidationError) as refused:
        user_change_password(user=employee, old_password=PASSWORD, new_password="password1234")
    assert set(refused.value.message_dict) == {"new_password"}
    assert authenticate(None, username="employee", password=PASSWORD) == employee


@pytest.mark.django_db
def test_a_password_change_needs_the_current_password_and_is_audited(employee):
    with pytest.raises(ValidationError) as refused:
        user_change_password(
            user=employee, old_password="not the password!", new_password="Xk7#pQ2m-w9Lz!"
        )
    assert set(refused.value.message_dict) == {"old_password"}

    user_change_password(user=employee, old_password=PASSWORD, new_password="Xk7#pQ2m-w9Lz!")
    assert authenticate(None, username="employee", password="Xk7#pQ2m-w9Lz!") == employee
    [event] = events("account.password.changed", employee)
    assert event.actor_username == "employee"
    employee.refresh_from_db()
    assert employee.password.split("$")[-1] not in event.entry  # no hash in the trail


@pytest.mark.django_db
def test_a_wrong_current_password_counts_toward_the_lock(employee):
    # Otherwise the password-change form would be a way to guess without limit.
    with pytest.raises(ValidationError):
        user_change_password(
            user=employee, old_password="not the password!", new_password="Xk7#pQ2m-w9Lz!"
        )
    employee.refresh_from_db()
    assert employee.failed_login_count == 1
    assert events("account.login.failed", employee)[0].data["detail"]["context"] == (
        "password change"
    )
