"""Prometheus metrics of one API process (each worker process reports its own)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "bastion_requests_total", "API requests", ["endpoint", "status"], registry=self.registry
        )
        self.verdicts = Counter(
            "bastion_verdicts_total", "Verdicts given", ["verdict", "rule"], registry=self.registry
        )
        self.latency = Histogram(
            "bastion_request_seconds",
            "Request latency",
            ["endpoint"],
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
            registry=self.registry,
        )
        self.fast_lookups = Counter(
            "bastion_lookup_fast_path_total",
            "Lookups answered by the plain ASGI fast path (others went through the application)",
            registry=self.registry,
        )
        self.cache_hits = Counter(
            "bastion_content_cache_hits_total",
            "Uploads answered without decoding",
            ["where"],
            registry=self.registry,
        )
        self.index_entries = Gauge(
            "bastion_index_pdq_entries",
            "PDQ hashes in this process's index",
            registry=self.registry,
        )
        self.index_age = Gauge(
            "bastion_index_age_seconds",
            "Seconds since the index last caught up",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
