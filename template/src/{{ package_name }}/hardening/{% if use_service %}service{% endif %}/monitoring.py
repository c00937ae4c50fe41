"""What the service reports: security events in the log, and Prometheus metrics.

Each security event is one log record with an ``event`` field (in JSON under
``extra``), masked like every other record: ``login_succeeded``,
``login_failed``, ``login_throttled``, ``token_used``, ``token_refused``,
``scope_denied``, ``rate_limited``, ``csrf_refused``, ``origin_refused``,
``too_large``, ``timed_out``, ``model_refused``, ``tokens_changed``,
``users_changed``. Names and routes are logged; tokens, passwords and
cookies never are.

The metrics live in a registry of the app's own (prometheus-client), so two
apps in one process never share counts; routes are labelled by their
template (``/v1/runs``), never by the raw path a client chose.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

log = logging.getLogger(__name__)

# Refusals that are expected in normal traffic are INFO; the rest WARNING.
_QUIET = {"login_succeeded", "token_used", "tokens_changed", "users_changed"}


def security_event(event: str, **fields: Any) -> None:
    """Log one security event: its name, and fields that are never secrets."""
    level = logging.INFO if event in _QUIET else logging.WARNING
    detail = " ".join(f"{name}={value}" for name, value in sorted(fields.items()))
    log.log(level, "security event %s %s", event, detail, extra={"event": event, **fields})


class Metrics:
    """Request counts by route and status, refusals by reason, latency by route."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "service_requests",
            "Requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "service_refusals",
            "Requests refused, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "service_request_duration_seconds",
            "Time to answer a request, by route template",
            ["route"],
            registry=self.registry,
        )

    def refused(self, reason: str) -> None:
        self.refusals.labels(reason=reason).inc()

    def text(self) -> bytes:
        return generate_latest(self.registry)
