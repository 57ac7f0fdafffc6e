"""The Prometheus metrics of the web app (``SPINEFX_METRICS=1``, served at ``/metrics``).

Measured as requests are answered, by :class:`RequestMetrics` (outside every other middleware
but the access log):

- ``spinefx_http_requests_total{method, route, status}``: the route is the template
  (``/api/v1/cases/{case_id}``), never the path asked for, so that neither an id nor a typed
  value becomes a label; a path no route has is ``unmatched``;
- ``spinefx_http_request_duration_seconds{method, route}``: a histogram.

Read from the stores when Prometheus scrapes (:class:`StoreCollector`), so that what the
command line did (``spinefx casefind --into-registry``, ``spinefx directory ingest`` or
``update``, run by cron or a timer) counts as much as what the web did:

- ``spinefx_casefind_fractures_found_total``, ``spinefx_casefind_reports_dismissed_total``
  and ``spinefx_casefind_cases_to_review`` (all sites together);
- ``spinefx_directory_loaded``, ``spinefx_directory_weekly_updates_total`` (weekly files
  applied since the last full ingest: a reset means a new monthly ingest) and
  ``spinefx_directory_data_through_timestamp_seconds`` (the last day of NPPES data held);
- ``spinefx_registry_up``.

Several worker processes (``spinefx serve --workers N``) share their figures through
prometheus-client's multiprocess mode: ``serve`` gives them a ``PROMETHEUS_MULTIPROC_DIR``
when none is set.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spinefx.directory.store import Directory, DirectoryFacts, directory_facts
from spinefx.registry.db import Registry
from spinefx.registry.findings import CaseFindingCounts, case_finding_counts
from spinefx.web.security import HttpMiddleware

__all__ = [
    "CONTENT_TYPE_LATEST",
    "MULTIPROC_ENV",
    "Instruments",
    "RequestMetrics",
    "StoreCollector",
    "route_template",
]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
# From a cached static file (about a millisecond) to a slow search or report (seconds).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
log = logging.getLogger(__name__)
_Figures = TypeVar("_Figures")


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/cases/{case_id}``), or ``unmatched``."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    if str(scope.get("path", "")).startswith("/static/"):
        return "/static/{path}"
    return UNMATCHED


class StoreCollector(Collector):
    """Case-finding and directory figures, read from the stores at each scrape."""

    def __init__(self, directory: Directory, registry: Registry) -> None:
        self.directory = directory
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from _store_metrics(
            "spinefx_registry_up",
            "1 when the registry database answers, migrated",
            self._case_finding_counts(),
            _case_finding_metrics,
        )
        yield from _store_metrics(
            "spinefx_directory_loaded",
            "1 when the directory is readable",
            self._directory_facts(),
            _directory_metrics,
        )

    def _case_finding_counts(self) -> CaseFindingCounts | None:
        """The registry's case-finding figures; ``None`` when the registry does not answer."""
        try:
            if self.registry.state() != "ready":  # asks without making a missing SQLite file
                raise ConnectionError("not ready")
            with self.registry.transaction() as session:
                return case_finding_counts(session)
        except Exception as exc:  # a scrape must answer even when the database does not
            log.warning("metrics: the registry did not answer: %s", type(exc).__name__)
            return None

    def _directory_facts(self) -> DirectoryFacts | None:
        """The directory's facts; ``None`` when it cannot be read."""
        try:
            return directory_facts(self.directory)
        except Exception:  # not loaded or damaged: /readyz says which
            return None


def _store_metrics(
    name: str,
    documentation: str,
    figures: _Figures | None,
    metrics: Callable[[_Figures], Iterator[Metric]],
) -> Iterator[Metric]:
    """A store's gauge ``name``, 1 when it answered with its ``figures`` (0 when ``None``), then
    the ``metrics`` of those figures."""
    yield GaugeMetricFamily(name, documentation, value=int(figures is not None))
    if figures is not None:
        yield from metrics(figures)


def _case_finding_metrics(counts: CaseFindingCounts) -> Iterator[Metric]:
    yield CounterMetricFamily(
        "spinefx_casefind_fractures_found",
        "Fractures recorded in the registry as found by case-finding",
        value=counts.fractures_found,
    )
    yield CounterMetricFamily(
        "spinefx_casefind_reports_dismissed",
        "Case-finding reports dismissed from the worklist",
        value=counts.reports_dismissed,
    )
    yield GaugeMetricFamily(
        "spinefx_casefind_cases_to_review",
        "Cases found by case-finding that wait for a person to review",
        value=counts.cases_to_review,
    )


def _directory_metrics(facts: DirectoryFacts) -> Iterator[Metric]:
    yield CounterMetricFamily(
        "spinefx_directory_weekly_updates",
        "NPPES weekly files applied since the last full ingest",
        value=len(facts.weekly),
    )
    through = facts.weekly_through or facts.built_through
    if through:
        day = date.fromisoformat(through)
        yield GaugeMetricFamily(
            "spinefx_directory_data_through_timestamp_seconds",
            "The last day of NPPES data the directory holds (Unix time, UTC midnight)",
            value=datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp(),
        )


class Instruments:
    """One app's metrics: its own registry (a new app, a new count: tests make many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "spinefx_http_requests",
            "HTTP requests answered, by route template and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "spinefx_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.stores: StoreCollector | None = None

    def watch(self, directory: Directory, registry: Registry) -> None:
        """Read these stores' figures at each scrape (the app's lifespan calls this)."""
        if self.stores is not None:
            self.registry.unregister(self.stores)
        self.stores = StoreCollector(directory, registry)
        self.registry.register(self.stores)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes: this process's figures, or every worker's."""
        folder = os.environ.get(MULTIPROC_ENV)
        if not folder:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
        if self.stores is not None:
            registry.register(self.stores)
        return generate_latest(registry)


class RequestMetrics(HttpMiddleware):
    """Count and time every HTTP request into :class:`Instruments`."""

    def __init__(self, app: ASGIApp, *, instruments: Instruments) -> None:
        super().__init__(app)
        self.instruments = instruments

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        status = 500

        async def noting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        finally:
            method = str(scope.get("method", ""))
            if method not in _KNOWN_METHODS:  # a made-up method is not a label of its own
                method = "other"
            route = route_template(scope)
            self.instruments.requests.labels(method, route, str(status)).inc()
            self.instruments.latency.labels(method, route).observe(time.perf_counter() - start)


_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
