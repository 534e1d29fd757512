"""Shared steps for onboarding tests: a site, people of the HR feed, the set-password
link as the person finds it in the mail outbox."""

import re
from urllib.parse import parse_qs, urlsplit

from django.core import mail

from qualify.org import services as org

STRONG = "Granite-Harbour-Lantern-91"
OTHER = "Copper-Meadow-Falcon-27"
THIRD = "Silver-Orchard-Beacon-63"


def make_site(admin):
    return org.site_create(actor=admin, code="CORK", name="Cork", time_zone="Europe/Dublin")


def make_person(coordinator, site, number: str, name: str, email: str = ""):
    return org.person_create(
        actor=coordinator, employee_number=number, full_name=name, site=site, email=email
    )


def link_in(message) -> str:
    found = re.search(r"https?://\S+/accounts/password/set/\?\S+", message.body)
    assert found, f"no set-password link in: {message.body}"
    return found.group(0)


def last_link(to: str) -> str:
    sent = [m for m in mail.outbox if to in m.to]
    assert sent, f"no mail to {to}; outbox: {[m.to for m in mail.outbox]}"
    return link_in(sent[-1])


def uid_token(link: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(link).query)
    return query["u"][0], query["t"][0]


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"
