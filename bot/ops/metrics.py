"""Prometheus metrics through the official client, one registry per dispatcher.

A registry of its own (not the client's global one) lets two dispatchers live in one process, as the
workers test does, and keeps a test's figures its own. The names are fixed here; a later feature adds its
series through `counter`/`gauge`/`histogram` (e.g. a delivery worker:
`metrics.counter("deliveries", "Announcements delivered, by state", ["state"])`), which prefixes the name and
hands back the same series when asked twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

PREFIX = "citizen_bot_"
# Seconds: a button press is answered in milliseconds; a slow Bot API or a database failing over in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST

M = TypeVar("M", bound=MetricWrapperBase)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._made: dict[str, MetricWrapperBase] = {}
        # Updates
        self.updates = self.counter("updates", "Updates handled, by type", ["type"])
        self.update_seconds = self.histogram(
            "update_duration_seconds", "Time from an update's arrival in the dispatcher to its end, by type", ["type"]
        )
        self.updates_in_flight = self.gauge("updates_in_flight", "Updates being handled now")
        self.updates_waiting = self.gauge(
            "updates_waiting", "Webhook updates waiting for a free slot (MAX_CONCURRENT_UPDATES)"
        )
        self.update_errors = self.counter("update_errors", "Updates that raised, by exception class", ["kind"])
        self.updates_refused = self.counter(
            "updates_refused", "Webhook updates answered 5xx so that Telegram sends them again, by reason", ["reason"]
        )
        # Bot API
        self.api_requests = self.counter(
            "bot_api_requests",
            "Bot API requests by method and status (HTTP code, timeout or network)",
            ["method", "status"],
        )
        self.api_seconds = self.histogram("bot_api_request_duration_seconds", "Bot API request time", ["method"])
        self.api_retries = self.counter(
            "bot_api_retries", "Bot API requests sent again, by method and reason", ["method", "reason"]
        )
        self.api_flood_waits = self.counter(
            "bot_api_retry_after", "Bot API 429 answers (flood control), by method", ["method"]
        )
        self.api_flood_wait_seconds = self.counter(
            "bot_api_retry_after_seconds", "Seconds spent waiting as 429 answers asked"
        )
        # Features
        self.quiz_answers_stored = self.counter("quiz_answers_stored", "Quiz answers stored (each once)")

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        return self._make(Counter, name, documentation, labels)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return self._make(Gauge, name, documentation, labels)

    def histogram(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Histogram:
        made = self._made.get(name)
        if made is None:
            made = self._made[name] = Histogram(
                PREFIX + name, documentation, labels, registry=self.registry, buckets=LATENCY_BUCKETS
            )
        return _same(made, Histogram, name)

    def gauge_function(self, name: str, documentation: str, read: Callable[[], float]) -> Gauge:
        """A gauge read when scraped (e.g. database connections checked out)."""
        gauge = self.gauge(name, documentation)
        gauge.set_function(read)
        return gauge

    def _make(self, kind: type[M], name: str, documentation: str, labels: Sequence[str]) -> M:
        made = self._made.get(name)
        if made is None:
            made = self._made[name] = kind(PREFIX + name, documentation, labels, registry=self.registry)
        return _same(made, kind, name)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """One sample's value (0 when absent): for tests and the benchmarks."""
        found = self.registry.get_sample_value(PREFIX + name, labels or {})
        return 0.0 if found is None else found


def _same(made: MetricWrapperBase, kind: type[M], name: str) -> M:
    if not isinstance(made, kind):
        raise TypeError(f"metric {name!r} exists as a {type(made).__name__}")
    return made
