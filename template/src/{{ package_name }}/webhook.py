"""Optional sink: send the run's metrics to an HTTP endpoint with a bearer token.

Set ``METRICS_WEBHOOK_URL`` and ``METRICS_WEBHOOK_TOKEN`` (see ``.env.example``)
to post ``reports/metrics.json`` after every run, e.g. to an experiment
tracker or a chat channel. The settings check refuses plain http except to
localhost, so the token never crosses a network in clear text.
"""

from __future__ import annotations

import http.client
import json
import logging
from urllib.parse import urlsplit

from pydantic import SecretStr

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class WebhookError(RuntimeError):
    """The endpoint did not accept the metrics."""


def post_metrics(url: SecretStr, token: SecretStr, metrics: dict[str, float]) -> int:
    """POST ``metrics`` as JSON; return the HTTP status or raise :class:`WebhookError`."""
    parts = urlsplit(url.get_secret_value())
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request(
            "POST",
            path,
            body=json.dumps(metrics).encode(),
            headers={
                "Authorization": f"Bearer {token.get_secret_value()}",
                "Content-Type": "application/json",
            },
        )
        status = connection.getresponse().status
    except OSError as error:
        # The URL may hold credentials: name the host only.
        raise WebhookError(f"could not reach the metrics webhook at {parts.hostname}") from error
    finally:
        connection.close()
    if not 200 <= status < 300:
        raise WebhookError(f"the metrics webhook at {parts.hostname} answered HTTP {status}")
    log.info("Sent metrics to the webhook at %s (HTTP %d)", parts.hostname, status)
    return status
