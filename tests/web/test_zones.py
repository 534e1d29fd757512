"""T3: pages show times in the site's zone, named the way people read it, through one
helper (qualify.web.zones) that every page kit uses."""

import datetime as dt

import pytest
from django.template import Context, Template

from qualify.web import zones
from qualify.web.documents import kit
from qualify.web.employee import common

SUMMER = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
WINTER = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)


@pytest.mark.requirement("T3")
def test_a_zone_is_named_with_its_abbreviation_at_that_time():
    assert zones.zone_label("Europe/Dublin", SUMMER) == "Europe/Dublin, IST"
    assert zones.zone_label("Europe/Dublin", WINTER) == "Europe/Dublin, GMT"
    assert zones.zone_label("America/Chicago", SUMMER) == "America/Chicago, CDT"
    assert zones.zone_label("UTC", SUMMER) == "UTC"


@pytest.mark.requirement("T3")
def test_a_time_is_shown_in_the_site_zone_and_utc_is_never_named_twice():
    assert zones.in_zone(SUMMER, "Europe/Dublin") == "2026-07-01 10:00 (Europe/Dublin, IST)"
    assert zones.in_zone(WINTER, "Europe/Dublin") == "2026-01-15 09:00 (Europe/Dublin, GMT)"
    assert zones.in_zone(SUMMER, "UTC") == "2026-07-01 09:00 UTC"
    assert zones.in_zone(None, "UTC") == ""
    page = Template(
        "{% load qualify_tags %}{{ at|in_zone:'UTC' }} / {{ at|in_zone:'Europe/Dublin' }}"
    ).render(Context({"at": SUMMER}))
    assert page == "2026-07-01 09:00 UTC / 2026-07-01 10:00 (Europe/Dublin, IST)"


@pytest.mark.requirement("T3")
@pytest.mark.django_db
def test_both_page_kits_take_the_users_zone_from_the_same_helper(employee, admin, coordinator):
    from qualify.org import services as org
    from qualify.org.models import Site

    site = Site.objects.first() or org.site_create(
        actor=admin, code="DUB", name="Dublin", time_zone="Europe/Dublin"
    )
    Site.objects.filter(pk=site.pk).update(time_zone="Europe/Dublin")
    org.person_create(
        actor=coordinator, employee_number="Z001", full_name="Zoe Zone", site=site, user=employee
    )
    assert kit.user_zone is zones.zone_of
    assert common.zone_of is zones.zone_of
    assert zones.zone_of(employee) == "Europe/Dublin"
    assert kit.local_input(SUMMER, "Europe/Dublin") == "2026-07-01T10:00"
