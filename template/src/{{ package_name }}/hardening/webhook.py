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

from .settings import check_webhook_token, check_webhook_url

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
    # Settings check both too; a caller may not have used Settings.
    try:
        check_webhook_url(url.get_secret_value())
    except ValueError as error:
        raise WebhookError(f"the metrics webhook URL {error}") from None
    try:
        check_webhook_token(token.get_secret_value())
    except ValueError as error:
        raise WebhookError(f"the metrics webhook token {error}") from None
    parts = urlsplit(url.get_secret_value())
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    https = parts.scheme.lower() == "https"
    connection_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
    # The port is always given: http.client would read the last group of an
    # IPv6 address (::1) as one.
    port = parts.port or (443 if https else 80)
    connection = None
    try:
        connection = connection_class(host, port, timeout=TIMEOUT_SECONDS)
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
