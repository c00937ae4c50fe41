"""Protections every response gets: security headers, body and time limits, rate limits.

Plain ASGI middleware (no BaseHTTPMiddleware), so a limit holds for a body
that is streamed as well as for one whose length is declared, and the
headers are set on every response, errors and refusals included.
"""

from __future__ import annotations

import hmac
import json
import math
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from .monitoring import Metrics, security_event

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# No script at all, styles and images from the service itself, forms posted
# only to it, and never inside a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# Referrer-Policy same-origin: no other site learns which page linked to it,
# and the service's own forms still carry their Origin. Under no-referrer,
# browsers send "Origin: null" even to the page's own origin, and the origin
# check (app._check_origin) would refuse every form a person sends.
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
]
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
# Headers no response may carry: they would name the software behind it.
_BANNERS = {b"server", b"x-powered-by"}


async def send_json(
    send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Adds the security headers to every response and drops software banners."""

    def __init__(self, app: ASGIApp, tls: bool) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS + ([HSTS] if tls else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in self.headers}
                kept = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in _BANNERS and name.lower() not in names
                ]
                message["headers"] = kept + self.headers
            await send(message)

        await self.app(scope, receive, with_headers)


class Limits:
    """Refuses a body over ``max_bytes`` (413) and a request over ``seconds`` (503)."""

    def __init__(self, app: ASGIApp, max_bytes: int, seconds: float, metrics: Metrics) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse_size(scope, send)
            return
        received = 0
        started = refused = False

        async def counted() -> Message:
            # Past the limit, the app is told the client went away (it stops
            # reading) and the client gets 413, whatever the app was doing.
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes and not refused:
                    refused = True
                    if not started:
                        await self._refuse_size(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; nothing the app says follows it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            with anyio.fail_after(self.seconds):
                await self.app(scope, counted, tracked)
        except TimeoutError:
            self.metrics.refused("timeout")
            security_event("timed_out", route=scope.get("path", "")[:200])
            if not started and not refused:
                await send_json(send, 503, "the request took too long")
        except Exception:
            if not refused:  # the app's reaction to the disconnect it was told of
                raise

    async def _refuse_size(self, scope: Scope, send: Send) -> None:
        self.metrics.refused("too_large")
        security_event("too_large", route=scope.get("path", "")[:200])
        await send_json(send, 413, "the request body is too large")


class RateLimits:
    """A moving window of requests per minute for each key (a token, a client address)."""

    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, kind: str, key: str) -> int | None:
        """Count a request; ``None`` when it may go ahead, else the seconds to wait."""
        if self.limiter.hit(self.item, kind, key):
            return None
        return self._wait(kind, key)

    def forget(self, kind: str, key: str) -> None:
        """Start ``key``'s window afresh (a name's count, once its password is right)."""
        self.limiter.clear(self.item, kind, key)

    def _wait(self, kind: str, key: str) -> int:
        reset, _ = self.limiter.get_window_stats(self.item, kind, key)
        return max(1, math.ceil(reset - time.time()))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: object, given: object) -> bool:
    """True when the form's token is the session's; compared in constant time."""
    if not isinstance(expected, str) or not isinstance(given, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
