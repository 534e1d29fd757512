"""Issue 18 (P209): the reads every signed-in request makes, its user (with their
person and site) and its session, are compiled once and answer as the querysets they
were built from: the same rows, fields, converted values and related objects, with no
further query for the person or the site; a missing, expired or odd key is no answer."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db.models import Count
from django.utils import timezone

from qualify.accounts.backends import SIGNED_IN_USER, LockoutAwareBackend
from qualify.accounts.models import User
from qualify.accounts.sessions import SESSION_BY_KEY
from qualify.accounts.sessions.db import SessionStore
from qualify.compiled import CompiledRead
from qualify.org.models import Person, Site

pytestmark = [pytest.mark.requirement("P209"), pytest.mark.django_db]


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.fixture
def held(employee):
    site = Site.objects.create(code="S1", name="Site one", time_zone="Europe/Berlin")
    Person.objects.create(employee_number="E1", full_name="Emma", site=site, user=employee)
    return employee


def test_the_signed_in_user_is_the_orms_with_person_and_site_and_no_more_queries(
    held, django_assert_num_queries
):
    expected = User.objects.select_related("person__site").get(pk=held.pk)
    with django_assert_num_queries(1):
        (user,) = SIGNED_IN_USER.rows(held.pk)
        assert (user.person.full_name, user.person.site.code) == ("Emma", "S1")
    assert _fields(user) == _fields(expected)
    assert _fields(user.person) == _fields(expected.person)
    assert _fields(user.person.site) == _fields(expected.person.site)
    # Converted as the ORM converts (SQLite keeps datetimes as text).
    assert isinstance(user.person.employed_from, dt.datetime)
    assert user.person.user is user


def test_a_user_without_a_person_has_none_without_a_query(coordinator, django_assert_num_queries):
    with django_assert_num_queries(1):
        (user,) = SIGNED_IN_USER.rows(coordinator.pk)
        assert not hasattr(user, "person")
    assert _fields(user) == _fields(User.objects.get(pk=coordinator.pk))


def test_the_backend_answers_the_signed_in_user_or_none(held):
    backend = LockoutAwareBackend()
    assert backend.get_user(held.pk).person.site.code == "S1"
    assert backend.get_user(str(held.pk)).pk == held.pk
    assert backend.get_user(987654) is None
    assert backend.get_user("not a number") is None
    User.objects.filter(pk=held.pk).update(is_active=False)
    assert backend.get_user(held.pk) is None


def test_a_session_is_read_by_its_key_and_an_expired_one_is_none():
    store = SessionStore()
    store["answer"] = 42
    store.save()
    key = store.session_key
    assert SessionStore(key).load() == {"answer": 42}
    (row,) = SESSION_BY_KEY.rows(key)
    assert _fields(row) == _fields(Session.objects.get(session_key=key))
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None
    assert SessionStore("x" * 40).load() == {}


def test_a_read_that_is_not_plain_rows_or_whose_stand_in_is_lost_is_refused():
    annotated = CompiledRead(lambda pk: User.objects.annotate(n=Count("groups")).filter(pk=pk), -1)
    with pytest.raises(TypeError, match="model rows only"):
        annotated.rows(1)
    twice = CompiledRead(lambda pk: User.objects.filter(pk=pk).exclude(pk=pk), -1)
    with pytest.raises(TypeError, match="2 times"):
        twice.rows(1)


def test_an_employees_pages_take_their_person_from_the_signed_in_read(
    held, coordinator, django_assert_num_queries
):
    from qualify.web.employee.common import person_of

    (user,) = SIGNED_IN_USER.rows(held.pk)
    (nobody,) = SIGNED_IN_USER.rows(coordinator.pk)
    with django_assert_num_queries(0):
        person = person_of(user)
        assert (person.full_name, person.site.code, person.department) == ("Emma", "S1", None)
        assert person_of(nobody) is None
    # A user object read otherwise (no person cached) reads the person, as before.
    plain = User.objects.get(pk=held.pk)
    with django_assert_num_queries(1):
        assert person_of(plain).pk == person.pk
