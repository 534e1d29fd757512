"""My work: one inbox per user (qualify.quality.queries.work), soonest due first,
each item opening the page where the work is done and saying who acts next."""

from django.shortcuts import render

from qualify.quality.queries import work
from qualify.web.nav import work_items
from qualify.web.zones import zone_of


def my_work(request):
    items = work_items(request)
    kind = request.GET.get("kind", "")
    shown = [i for i in items if i.kind == kind] if kind in work.KIND_LABELS else items
    return render(
        request,
        "web/work/inbox.html",
        {
            "items": shown,
            "total": len(items),
            "kind": kind if kind in work.KIND_LABELS else "",
            "counts": [(k, work.KIND_LABELS[k], n) for k, n in work.counts(items).items()],
            "zone": zone_of(request.user),
        },
    )
