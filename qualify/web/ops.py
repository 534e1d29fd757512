"""Running Qualify as a service (issue 18): liveness, readiness and metrics.

* ``/healthz``: the process answers; touches nothing else (a load balancer's liveness
  probe must not fail because the database is slow).
* ``/readyz``: 200 only when the database answers, every migration is applied and the
  site key (checkpoint signatures, event MACs) is present; otherwise 503 with JSON
  naming each problem, so an orchestrator keeps traffic away from a server that would
  refuse every write.
* ``/metrics``: Prometheus text format. django-prometheus counts requests and
  latencies (its middleware); Qualify adds, read from the database at scrape time, the
  task queue depth, the audit chain length, the access log length and the age of the
  last signed checkpoint. The endpoint answers the loopback address, or anyone sending
  ``Authorization: Bearer $QUALIFY_METRICS_TOKEN`` when that is set.
"""

import hmac
import os

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from qualify.audit import keys

LOOPBACK = {"127.0.0.1", "::1"}


@never_cache
def healthz(request):
    return JsonResponse({"status": "alive"})


class LivenessMiddleware:
    """Answers /healthz before any other middleware, so liveness reads no session, no
    user and no database: a slow database makes the server unready, not dead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        return self.get_response(request)


def readiness_problems() -> list[str]:
    """What keeps this server from serving, in words; empty when ready."""
    problems = []
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready", never a 500
        return [f"database: {type(exc).__name__}: {exc}".strip()]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        problems.append(f"migrations: {len(plan)} not applied ({names})")
    if not keys.key_path().exists():
        problems.append(f"keys: the site key {keys.key_path()} is missing")
    return problems


@never_cache
def readyz(request):
    problems = readiness_problems()
    if problems:
        return JsonResponse({"status": "not ready", "problems": problems}, status=503)
    return JsonResponse({"status": "ready"})


class QualifyCollector:
    """Gauges read at scrape time; one query each."""

    def describe(self):
        # Without it prometheus_client runs collect() (six queries) on registering.
        return []

    def collect(self):
        from django_tasks_db.models import DBTaskResult

        from qualify.audit.models import AccessEvent, AuditEvent, Checkpoint

        queue = GaugeMetricFamily(
            "qualify_task_queue_depth", "Background tasks by status", labels=["status"]
        )
        for status in ("READY", "RUNNING", "FAILED"):
            queue.add_metric([status], DBTaskResult.objects.filter(status=status).count())
        yield queue
        last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
        yield GaugeMetricFamily(
            "qualify_audit_chain_length", "Events in the audit trail", value=last or 0
        )
        opened = AccessEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
        yield GaugeMetricFamily(
            "qualify_access_log_length", "Entries in the access log", value=opened or 0
        )
        signed = Checkpoint.objects.order_by("-tree_size").values_list("signed_at", flat=True)
        signed_at = signed.first()
        age = (timezone.now() - signed_at).total_seconds() if signed_at else -1
        yield GaugeMetricFamily(
            "qualify_audit_last_checkpoint_age_seconds",
            "Seconds since the last signed checkpoint (-1: none yet)",
            value=age,
        )


def _registry():
    """The process's registry; under gunicorn with several workers, set
    PROMETHEUS_MULTIPROC_DIR so the request metrics of every worker are summed."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(QualifyCollector())
        return registry
    return REGISTRY


REGISTRY.register(QualifyCollector())
# A `_created` sample per labelled counter and histogram (when each series began) is,
# in the text format scraped here, one more series per label set that nothing of ours
# reads. The multiprocess collector gives none either, so one server and several now
# answer alike.
disable_created_metrics()


def _may_scrape(request) -> bool:
    token = getattr(settings, "QUALIFY_METRICS_TOKEN", "")
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), token.encode())
    return request.META.get("REMOTE_ADDR") in LOOPBACK


@never_cache
def metrics(request):
    if not _may_scrape(request):
        return HttpResponse(
            "Metrics are read from the loopback or with the metrics token.\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
