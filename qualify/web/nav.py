"""The main menu, assembled from each area's NAV and filtered by permission (U2).

Every signed-in page draws it, so what it costs every page pays (issue 18): the
entries' addresses are reversed once per process, and the work count is remembered
in the session while the audit trail's head and the minute stand (`work_count`).
"""

import time
from functools import lru_cache
from importlib import import_module

from django.urls import get_script_prefix, reverse

# Session key of the remembered work count: [user id, trail head, when, count].
WORK_COUNT_KEY = "_qualify_work_count"
# Some work falls due with time alone (periodic reviews due soon): a remembered count
# is recomputed after this long even when nothing was recorded.
WORK_COUNT_SECONDS = 60


@lru_cache(maxsize=8)
def _entries(script_prefix: str) -> tuple[tuple[str, str, str | None], ...]:
    # The URL map does not change while the process runs; the prefix is per request.
    from qualify.web.urls import AREAS

    entries = []
    for area in AREAS:
        for label, url_name, permission in import_module(f"qualify.web.{area}.nav").NAV:
            entries.append((label, reverse(url_name), permission))
    return tuple(entries)


def menu_for(user) -> list[tuple[str, str]]:
    entries = []
    for label, url, permission in _entries(get_script_prefix()):
        entry = (label, url)
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


def work_count(request) -> int:
    """The menu's count: len(my_work), remembered in the session. Whatever changes
    what waits for someone (an assignment, a signature, a role, a client grant) is
    recorded in the audit trail in the same transaction, so while the trail's last
    chain hash is the one the count was taken at, the count is still right; time alone
    is covered by WORK_COUNT_SECONDS. The hash names the whole history, not a sequence
    number, so a restored database never matches a count taken before the restore."""
    from qualify.audit.trail import last_chain_hash

    items = getattr(request, "_qualify_work", None)
    session = getattr(request, "session", None)
    if items is not None or session is None:
        return len(work_items(request))
    head, now = last_chain_hash(), time.time()
    memo = session.get(WORK_COUNT_KEY)
    if (
        isinstance(memo, list)
        and len(memo) == 4
        and memo[0] == request.user.pk
        and memo[1] == head
        and 0 <= now - memo[2] < WORK_COUNT_SECONDS
    ):
        return memo[3]
    count = len(work_items(request))
    session[WORK_COUNT_KEY] = [request.user.pk, head, now, count]
    return count


def menu(request) -> dict:
    """Context processor. The work count is a callable: templates call it only where
    the menu is drawn, so fragments and API answers pay nothing for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    return {"menu": menu_for(user), "work_count": lambda: work_count(request)}
