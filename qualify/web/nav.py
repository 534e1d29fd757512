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


def work_items(request) -> list:
    """What waits for the signed-in user (qualify.quality.queries.work), read once per
    request: the inbox page and the menu's count share it."""
    items = getattr(request, "_qualify_work", None)
    if items is None:
        from qualify.quality.queries.work import my_work

        items = request._qualify_work = my_work(request.user)
    return items


def menu(request) -> dict:
    """Context processor. The work count is a callable: templates call it only where
    the menu is drawn, so fragments and API answers pay nothing for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    return {"menu": menu_for(user), "work_count": lambda: len(work_items(request))}
