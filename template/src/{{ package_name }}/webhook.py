"""Optional sink: send the run's metrics to an HTTP endpoint with a bearer token.

Set ``METRICS_WEBHOOK_URL`` and ``METRICS_WEBHOOK_TOKEN`` (see ``.env.example``)
to post ``reports/metrics.json`` after every run, e.g. to an experiment
tracker or a chat channel. The settings refuse plain http except to
localhost, so the token never crosses a network in clear text.
"""

from __future__ import annotations

import http.client
import json
import logging
from urllib.parse import urlsplit

from pydantic import SecretStr

from .settings import check_webhook_url

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class WebhookError(RuntimeError):
    """The endpoint did not accept the metrics."""


def post_metrics(url: SecretStr, token: SecretStr, metrics: dict[str, float]) -> int:
    """POST ``metrics`` as JSON; return the HTTP status or raise :class:`WebhookError`.

    Every failure, of the URL, the network or the endpoint, becomes one
    WebhookError that names the host at most (the rest of the URL may hold
    credentials).
    """
    try:
        check_webhook_url(url.get_secret_value())  # done by Settings too; callers may not use it
    except ValueError as error:
        raise WebhookError(f"the metrics webhook URL {error}") from None
    parts = urlsplit(url.get_secret_value())
    host = parts.hostname
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = None
    try:
        connection = connection_class(host or "", parts.port, timeout=TIMEOUT_SECONDS)
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
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise WebhookError(
            f"could not reach the metrics webhook at {host} ({type(error).__name__})"
        ) from error
    finally:
        if connection is not None:
            connection.close()
    if not 200 <= status < 300:
        raise WebhookError(f"the metrics webhook at {host} answered HTTP {status}")
    log.info("Sent metrics to the webhook at %s (HTTP %d)", host, status)
    return status
