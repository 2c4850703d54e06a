"""Prometheus metrics at /metrics (X-17, X-19), for the allowlisted networks only.

Two kinds: counters kept by the web processes (requests, latencies, signature failures, allowlist
denials, login failures) — shared between gunicorn's workers through prometheus_client's
multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set — and gauges read from the database and
the queue at scrape time (webhook lag, queue depth, sends by outcome, worker heartbeat, backup age),
which every process answers alike.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, F
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from civicline.line.models import OutboundSend, WebhookEvent

from . import selectors
from .models import AlertState

logger = logging.getLogger(__name__)

LAG_WINDOW = timedelta(minutes=5)
LAG_SAMPLE = 5000

REQUESTS = Counter("civicline_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "civicline_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10),
)
SIGNATURE_FAILURES = Counter("civicline_webhook_signature_failures", "Webhook requests with a bad signature")
ALLOWLIST_DENIALS = Counter(
    "civicline_console_allowlist_denials", "Console requests from a network not allowed"
)
LOGIN_FAILURES = Counter("civicline_login_failures", "Failed console logins")


def _quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


class DatabaseCollector(Collector):
    """Figures that live in the database or the queue, so they are the same whichever process answers."""

    def collect(self) -> Iterator[Metric]:
        for produce in (self._queue, self._webhooks, self._sends, self._worker, self._backup, self._alerts):
            try:
                yield from produce()
            except Exception:  # one unavailable source must not hide the others
                logger.exception("metrics source failed", extra={"source": produce.__name__})

    def _queue(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "civicline_queue_pending", "Jobs waiting in the queue", value=HUEY.pending_count()
        )

    def _webhooks(self) -> Iterator[Metric]:
        now = timezone.now()
        waiting = WebhookEvent.objects.filter(
            status__in=[WebhookEvent.Status.PENDING, WebhookEvent.Status.PROCESSING]
        )
        yield GaugeMetricFamily(
            "civicline_webhook_events_pending",
            "LINE events received, not yet processed",
            value=waiting.count(),
        )
        oldest = waiting.order_by("received_at").values_list("received_at", flat=True).first()
        yield GaugeMetricFamily(
            "civicline_webhook_oldest_pending_seconds",
            "Age of the oldest unprocessed event",
            value=(now - oldest).total_seconds() if oldest else 0,
        )
        lags = sorted(
            lag.total_seconds()
            for lag in WebhookEvent.objects.filter(processed_at__gte=now - LAG_WINDOW)
            .annotate(lag=F("processed_at") - F("received_at"))
            .order_by("-processed_at")
            .values_list("lag", flat=True)[:LAG_SAMPLE]
        )
        lag = GaugeMetricFamily(
            "civicline_webhook_lag_seconds",
            "Received to processed, events processed in the last 5 minutes",
            labels=["quantile"],
        )
        for q in (0.5, 0.95, 0.99, 1.0):
            lag.add_metric([str(q)], _quantile(lags, q) if lags else 0)
        yield lag

    def _sends(self) -> Iterator[Metric]:
        sends = GaugeMetricFamily("civicline_line_sends", "Outbound LINE sends by outcome", labels=["status"])
        counts = dict(
            OutboundSend.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
        )
        for status in OutboundSend.Status.values:
            sends.add_metric([status], counts.get(status, 0))
        yield sends

    def _worker(self) -> Iterator[Metric]:
        latest = selectors.latest_heartbeat()
        age = (timezone.now() - latest.beat_at).total_seconds() if latest else float("inf")
        yield GaugeMetricFamily(
            "civicline_worker_heartbeat_age_seconds", "Since a worker last ran a job", value=age
        )

    def _backup(self) -> Iterator[Metric]:
        latest = selectors.latest_backup()
        age = (timezone.now() - latest.created_at).total_seconds() if latest else float("inf")
        yield GaugeMetricFamily("civicline_backup_age_seconds", "Age of the newest backup archive", value=age)

    def _alerts(self) -> Iterator[Metric]:
        active = GaugeMetricFamily(
            "civicline_alert_active", "Operations alerts currently raised", labels=["alert"]
        )
        for key, is_active in AlertState.objects.values_list("key", "active"):
            active.add_metric([key], 1 if is_active else 0)
        yield active


_database_registry = CollectorRegistry(auto_describe=False)
_database_registry.register(DatabaseCollector())


def exposition() -> bytes:
    """The metrics in Prometheus' text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        process_metrics = generate_latest(registry)
    else:
        process_metrics = generate_latest(REGISTRY)
    return process_metrics + generate_latest(_database_registry)
