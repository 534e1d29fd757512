"""Large exports run in the worker (django-tasks), streaming into a file."""

import logging

from django_tasks import task

log = logging.getLogger(__name__)


@task()
def run_export(export_id: int) -> str:
    from qualify.reports.services import export_run

    export = export_run(export_id)
    if export.error:
        log.warning("report export %s failed: %s", export_id, export.error)
    return export.status
