"""What operators see of a running server: a request id on every request and log line, logs as JSON
lines (XINFANG_LOG_FORMAT=json), and Prometheus metrics at /metrics.

The request id comes from the proxy (nginx's $request_id in X-Request-ID) or is made here; it is sent
back in X-Request-ID and written with every log line of the request. Paths are logged without their
query strings (xinfang.core.logs).

Metrics (prometheus_client): requests by method, view and status, and their latency, counted in each
process; under gunicorn the processes write them to PROMETHEUS_MULTIPROC_DIR (set by `xinfang run`)
and /metrics adds them up. Read when /metrics is asked: the job queue's depth, job failures (counted
in the cache, shared by every worker), the deadline sweep's lag and the age of what the worker
publishes (the column store: xinfang.core.health.AGES).
/metrics answers only the addresses in XINFANG_METRICS_ALLOW (loopback by default; nginx keeps it
from the outside as well).
"""

import json
import logging
import os
import re
import time
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .logs import redact

request_id: ContextVar[str] = ContextVar("request_id", default="")
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
JOB_FAILURES_KEY = "xinfang:metrics:job_failures"

REQUESTS = Counter("xinfang_requests", "HTTP requests answered", ["method", "view", "status"])
LATENCY = Histogram(
    "xinfang_request_seconds",
    "Time to answer an HTTP request",
    ["method", "view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1, 2, 5, 10, 30),
)


class RequestMiddleware:
    """Outermost: gives the request its id, times it, counts it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _WELL_FORMED.match(given) else uuid.uuid4().hex
        request.request_id = rid  # for Django's own lines about the request, logged after it returns
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        seconds = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match and match.view_name else "unmatched"
        REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        LATENCY.labels(request.method, view).observe(seconds)
        response["X-Request-ID"] = rid
        if settings.XINFANG_LOG_FORMAT == "json":  # in place of gunicorn's access log
            token = request_id.set(rid)
            logging.getLogger("xinfang.request").info(
                "%s %s %s %.1fms", request.method, request.path, response.status_code, seconds * 1000
            )
            request_id.reset(token)
        return response


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every log record (empty outside a request). Django logs a
    failed request ("django.request") after the middleware returned: the id is then the request's."""

    def filter(self, record):
        record.request_id = request_id.get() or getattr(getattr(record, "request", None), "request_id", "")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, process, exception."""

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", ""),
            "pid": record.process,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def count_job_failure(signal, task, exc=None):
    """A Huey signal handler (xinfang.core.tasks): one more failed job, in the shared cache."""
    if cache.add(JOB_FAILURES_KEY, 1, timeout=None):
        return
    cache.incr(JOB_FAILURES_KEY)


class SharedCollector:
    """Figures read from the shared stores when /metrics is asked."""

    def collect(self):
        from huey.contrib.djhuey import HUEY

        from . import health, periodic

        depth = GaugeMetricFamily("xinfang_queue_depth", "Jobs waiting in the queue")
        depth.add_metric([], HUEY.pending_count())
        yield depth
        failures = CounterMetricFamily("xinfang_job_failures", "Jobs that raised an error")
        failures.add_metric([], cache.get(JOB_FAILURES_KEY, 0))
        yield failures
        lag = GaugeMetricFamily(
            "xinfang_deadline_sweep_lag_seconds",
            "Seconds since the period of the last finished deadline sweep began (-1: never ran)",
        )
        last = periodic.last_finished("sweep_deadlines")
        lag.add_metric([], -1 if last is None else time.time() - last.timestamp())
        yield lag
        for name, check in health.AGES.items():
            age = GaugeMetricFamily(
                f"xinfang_{name}_age_seconds",
                f"How old the published {name}'s data is, in seconds (-1: none yet)",
            )
            seconds = check()
            age.add_metric([], -1 if seconds is None else seconds)
            yield age


def _allowed(request) -> bool:
    allowed = [a.strip() for a in settings.XINFANG_METRICS_ALLOW.split(",") if a.strip()]
    return request.META.get("REMOTE_ADDR", "") in allowed


def metrics(request):
    if not _allowed(request):
        return HttpResponseForbidden("禁止访问。")
    shared = CollectorRegistry()
    shared.register(SharedCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    return HttpResponse(body + generate_latest(shared), content_type=CONTENT_TYPE_LATEST)
