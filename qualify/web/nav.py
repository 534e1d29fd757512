"""The main menu, assembled from each area's NAV and filtered by permission (U2)."""

from importlib import import_module

from django.urls import reverse


def menu_for(user) -> list[tuple[str, str]]:
    from qualify.web.urls import AREAS

    entries = []
    for area in AREAS:
        for label, url_name, permission in import_module(f"qualify.web.{area}.nav").NAV:
            entry = (label, reverse(url_name))
            # An entry may be listed under several permissions: shown once.
            if (permission is None or user.has_perm(permission)) and entry not in entries:
                entries.append(entry)
    return entries


def menu(request) -> dict:
    """Context processor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    return {"menu": menu_for(user)}
