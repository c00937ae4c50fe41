"""The service's app: routes that each declare who may call them, and nothing else.

Deny by default: every route is made through :func:`route`, which records
its :class:`Access` and adds the check for it; :func:`create_app` refuses to
build an app with a route that has none. Programs send an API token
(``Authorization: Bearer``), people sign in for a signed session cookie;
each kind of route takes only its own kind of credential, so a cookie never
authorizes an API call (no CSRF there) and a token never opens a page.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import jinja2
import pandas as pd
import pandera.pandas as pa
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sklearn.pipeline import Pipeline
from sqlalchemy import Engine
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware

from ..database import connect
from ..model_store import load_model_and_digest
from ..runs import find_runs
from ..settings import HardenedSettings
from ..validation import DataValidationError, validate
from . import accounts
from .monitoring import Metrics, security_event
from .protections import (
    ASGIApp,
    Limits,
    Message,
    RateLimits,
    Receive,
    Scope,
    SecurityHeaders,
    Send,
    csrf_matches,
    new_csrf_token,
    send_json,
)

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_SECONDS = int(accounts.SESSION_LIFETIME.total_seconds())
# Sign-in failures allowed per user name and per client address in a window.
# Sign-in attempts a minute for one name, and from one client address.
LOGIN_ATTEMPTS = {"user": 5, "client": 30}
# Argon2 verifications at once (each takes 64 MiB).
PARALLEL_HASHES = 2
MAX_TEXT = 1000  # the longest text value a request row may hold


@dataclass(frozen=True)
class ServiceModel:
    """What the service serves; the project's ``serving.py`` (yours) makes one.

    ``model_file`` is a model saved by ``save_model`` (checked against its
    signature when the service starts); ``rows`` is the pandera schema one
    request row must pass, exactly the columns the model takes;
    ``figures`` is the folder whose PNG files the runs page shows.
    """

    model_file: Path
    rows: pa.DataFrameSchema
    database: Path
    figures: Path | None = None


@dataclass(frozen=True)
class Access:
    """Who may call a route: anyone, a token with ``scope``, or a person whose role has it."""

    kind: Literal["public", "token", "session"]
    scope: str | None = None


PUBLIC = Access("public")
_ACCESS_ATTRIBUTE = "service_access"


Scalar = Annotated[str, StringConstraints(max_length=MAX_TEXT)] | bool | int | float | None


class PredictRequest(BaseModel):
    """The rows to predict, each a mapping of column to value."""

    model_config = ConfigDict(extra="forbid")
    rows: list[dict[Annotated[str, StringConstraints(max_length=128)], Scalar]] = Field(
        min_length=1, max_length=100_000
    )


class Refused(Exception):
    """A request refused before it reached its route: status, reason, headers."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}


@dataclass
class Service:
    """What every route shares: settings, database, model, limits, metrics."""

    settings: HardenedSettings
    served: ServiceModel
    engine: Engine
    model: Pipeline
    model_sha256: str
    token_key: bytes
    metrics: Metrics
    rate_limits: RateLimits
    login_limits: dict[str, RateLimits]
    hashing: threading.BoundedSemaphore
    templates: Jinja2Templates
    tls: bool


def client_address(request: Request) -> str:
    # uvicorn sets the client from X-Forwarded-For only when the connection
    # comes from SERVICE_TRUSTED_PROXIES; otherwise it is the peer itself.
    return request.client.host if request.client else "unknown"


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _token_check(scope: str) -> Callable[[Request], accounts.Token]:
    def check(request: Request) -> accounts.Token:
        service = _service(request)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        found = None
        if scheme.lower() == "bearer" and token:
            found = accounts.authenticate_token(service.engine, service.token_key, token.strip())
        route = _route_name(request)
        if found is None:
            service.metrics.refused("unauthenticated")
            security_event("token_refused", route=route, client=client_address(request))
            raise Refused(401, "a valid API token is required", {"WWW-Authenticate": "Bearer"})
        if scope not in found.scopes:
            service.metrics.refused("scope")
            security_event("scope_denied", route=route, caller=found.name, needed=scope)
            raise Refused(403, f"this token lacks the {scope} scope")
        wait = service.rate_limits.retry_after("token", found.name)
        if wait is not None:
            service.metrics.refused("rate_limited")
            security_event("rate_limited", route=route, caller=found.name)
            raise Refused(429, "too many requests", {"Retry-After": str(wait)})
        security_event("token_used", route=route, caller=found.name)
        return found

    return check


def _session_check(scope: str | None) -> Callable[[Request], accounts.User]:
    def check(request: Request) -> accounts.User:
        service = _service(request)
        secret = request.session.get("sid")
        user = None
        if isinstance(secret, str):
            user = accounts.find_session(service.engine, service.token_key, secret)
        route = _route_name(request)
        if user is None:
            if secret is not None:
                request.session.clear()  # ended, expired or disabled: forget it
            service.metrics.refused("unauthenticated")
            raise Refused(401, "sign in first")
        request.state.user = user
        if scope is not None and scope not in user.scopes:
            service.metrics.refused("scope")
            security_event("scope_denied", route=route, user=user.name, needed=scope)
            raise Refused(403, "your role does not allow this")
        return user

    return check


def _route_name(request: Request) -> str:
    found = request.scope.get("route")
    return getattr(found, "path", "unmatched")


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# The refusals as the service sends them, for its OpenAPI schema (SERVICE_OPENAPI).
# Written out, not taken from models: FastAPI would file a model's schema under
# an HTML route's media type, and these answers are JSON on every route.
_REFUSAL = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
_PROBLEM = {
    "type": "object",
    "required": ["loc", "type"],
    "properties": {
        "loc": {"type": "array", "items": {"type": "string"}},
        "type": {"type": "string"},
    },
}
# FastAPI's own 422 (HTTPValidationError) promises pydantic's "msg", which
# could quote the value sent, so it is never sent (see _invalid): each problem
# is its place and its check; the owner's schema refuses rows in one line.
_INVALID = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"anyOf": [{"type": "array", "items": _PROBLEM}, {"type": "string"}]}},
}


def _documented_refusals(access: Access, endpoint: Callable[..., Any]) -> dict[int | str, Any]:
    """The error answers a route can give: its schema then says what the service does."""
    answers: dict[int | str, Any] = {429: _json(_REFUSAL, "Too many requests (Retry-After)")}
    if access.kind == "token":
        answers[401] = _json(_REFUSAL, "No valid API token")
        answers[403] = _json(_REFUSAL, "The token lacks the route's scope")
    if set(inspect.signature(endpoint).parameters) - {"request"}:
        answers[422] = _json(_INVALID, "Invalid input: each field and check, never the value")
    return answers


def route(
    app: FastAPI, method: str, path: str, access: Access, **options: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add a route that declares ``access``; the check runs before its code."""
    dependencies = []
    if access.kind == "token":
        dependencies.append(Depends(_token_check(access.scope or "")))
    elif access.kind == "session":
        dependencies.append(Depends(_session_check(access.scope)))

    def add(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        options["responses"] = _documented_refusals(access, endpoint) | options.get("responses", {})
        app.add_api_route(path, endpoint, methods=[method], dependencies=dependencies, **options)
        added = app.routes[-1]
        setattr(added, _ACCESS_ATTRIBUTE, access)
        return endpoint

    return add


def access_of(found: object) -> Access | None:
    return getattr(found, _ACCESS_ATTRIBUTE, None)


def check_every_route_declares_access(app: FastAPI) -> None:
    """Deny by default: a route without a declared :class:`Access` stops the app."""
    for found in app.routes:
        if access_of(found) is None:
            raise RuntimeError(
                f"route {getattr(found, 'path', found)!r} declares no access; add it with route()"
            )


def _check_origin(request: Request, service: Service) -> None:
    """A form posted from another site is refused, whatever token it carries."""
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if (origin is not None and origin != own) or site not in (None, "same-origin", "none"):
        service.metrics.refused("origin")
        security_event("origin_refused", route=_route_name(request))
        raise Refused(403, "this form must be sent from the service's own pages")


def _check_csrf(request: Request, service: Service, given: str) -> None:
    _check_origin(request, service)
    if not csrf_matches(request.session.get("csrf"), given):
        service.metrics.refused("csrf")
        security_event("csrf_refused", route=_route_name(request))
        raise Refused(403, "the form has expired or was not sent from this service; reload it")


def _csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        if request.headers.get("sec-fetch-site") == "cross-site":
            # Another site's navigation comes without the SameSite=Strict
            # cookie: a session started now would replace the person's own
            # and sign them out. The form shown carries no token, so it is
            # refused if sent; opened from the service itself, it works.
            return ""
        token = new_csrf_token()
        request.session["csrf"] = token
    return token


def _json_value(value: Any) -> Any:
    """A prediction as JSON: numpy scalars as Python numbers, NaN as null."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _figures(service: Service) -> list[str]:
    folder = service.served.figures
    if folder is None or not folder.is_dir():
        return []
    # Regular files only: a link could hand out any file the service can read.
    names = [
        path.name
        for path in folder.iterdir()
        if path.suffix == ".png" and not path.is_symlink() and path.is_file()
    ]
    return sorted(names, reverse=True)[:24]


def _add_routes(app: FastAPI) -> None:
    """Every route of the service, in one place, each with its access."""

    @route(app, "GET", "/healthz", PUBLIC)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @route(app, "POST", "/v1/predict", Access("token", "predict"))
    def predict(request: Request, body: PredictRequest) -> dict[str, Any]:
        service = _service(request)
        if len(body.rows) > service.settings.service_max_rows:
            service.metrics.refused("too_many_rows")
            raise Refused(413, "too many rows in one request")
        # Only the model's columns: any other would widen the frame before the
        # schema could refuse it (a body under the limit, a frame of gigabytes).
        columns = set(service.served.rows.columns)
        if any(not columns.issuperset(row) for row in body.rows):
            service.metrics.refused("invalid")
            raise Refused(422, "a row holds a column the model does not take")
        frame = pd.DataFrame.from_records(body.rows, columns=list(service.served.rows.columns))
        rows = validate(frame, service.served.rows, "the request's rows")
        predicted = service.model.predict(rows)
        return {
            "predictions": [_json_value(value) for value in predicted],
            "model_sha256": service.model_sha256,
        }

    @route(app, "GET", "/v1/runs", Access("token", "read"))
    def runs(
        request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 20
    ) -> list[dict[str, Any]]:
        service = _service(request)
        return [
            {
                "id": run.id,
                "started_at": run.started_at.isoformat(),
                "label": run.label,
                "rows": run.rows,
                "input_sha256": run.input_sha256,
                "model_sha256": run.model_sha256,
                "metrics": {name: _json_value(value) for name, value in run.metrics.items()},
                "tags": run.tags,
            }
            for run in find_runs(service.engine, limit=limit)
        ]

    @route(app, "GET", "/metrics", Access("token", "metrics"))
    def metrics(request: Request) -> Response:
        body = _service(request).metrics.text()
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    @route(app, "GET", "/style.css", PUBLIC)
    def style() -> FileResponse:
        return FileResponse(HERE / "static" / "style.css", media_type="text/css")

    @route(app, "GET", "/login", PUBLIC, response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        service = _service(request)
        return service.templates.TemplateResponse(
            request, "login.html", {"csrf": _csrf_token(request), "failed": False}
        )

    @route(app, "POST", "/login", PUBLIC, response_class=HTMLResponse)
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=64)],
        password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)],
        csrf_token: Annotated[str, Form(max_length=128)],
    ) -> Response:
        service = _service(request)
        _check_csrf(request, service, csrf_token)
        client = client_address(request)
        name = username.strip().lower()
        # Every attempt is counted before any password is checked, per name
        # and per client address, so attempts sent in parallel count too.
        for kind, key in (("user", name), ("client", client)):
            limits = service.login_limits[kind]
            wait = limits.retry_after(kind, key)
            if wait is not None:
                service.metrics.refused("login_throttled")
                security_event("login_throttled", client=client)
                raise Refused(429, "too many sign-in attempts", {"Retry-After": str(wait)})
        # Each check is an Argon2 verification (64 MiB): a few at a time.
        with service.hashing:
            user = accounts.authenticate_user(service.engine, name, password)
        if user is None:
            service.metrics.refused("login_failed")
            security_event("login_failed", client=client)
            return service.templates.TemplateResponse(
                request,
                "login.html",
                {"csrf": _csrf_token(request), "failed": True},
                status_code=401,
            )
        # The right password: the name's count starts afresh (the address's
        # does not), so its owner is not locked out by their own sign-ins.
        service.login_limits["user"].forget("user", name)
        # A new session: nothing from before sign-in is kept.
        request.session.clear()
        secret = accounts.start_session(service.engine, service.token_key, user)
        request.session.update(sid=secret, csrf=new_csrf_token())
        security_event("login_succeeded", user=user.name, client=client)
        return RedirectResponse("/runs", status_code=303)

    @route(app, "POST", "/logout", Access("session"))
    def logout(request: Request, csrf_token: Annotated[str, Form(max_length=128)]) -> Response:
        service = _service(request)
        _check_csrf(request, service, csrf_token)
        accounts.end_session(service.engine, service.token_key, request.session["sid"])
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @route(app, "GET", "/runs", Access("session", "read"), response_class=HTMLResponse)
    def runs_page(request: Request) -> Response:
        service = _service(request)
        return service.templates.TemplateResponse(
            request,
            "runs.html",
            {
                "user": request.state.user.name,
                "csrf": _csrf_token(request),
                "runs": find_runs(service.engine, limit=50),
                "figures": _figures(service),
            },
        )

    @route(app, "GET", "/figures/{name}", Access("session", "read"))
    def figure(request: Request, name: str) -> Response:
        service = _service(request)
        # Only a file the folder lists by that exact name: no path is built from input.
        if name not in _figures(service) or service.served.figures is None:
            raise HTTPException(404, "no such figure")
        return FileResponse(service.served.figures / name, media_type="image/png")


def _refusal(request: Request, error: Exception) -> Response:
    if not isinstance(error, Refused):  # registered for Refused only
        raise error
    access = access_of(request.scope.get("route"))
    if access is not None and access.kind == "session":
        service = _service(request)
        page = "login.html" if error.status == 401 else "denied.html"
        return service.templates.TemplateResponse(
            request,
            page,
            {"csrf": _csrf_token(request), "failed": False, "reason": error.reason},
            status_code=error.status,
            headers=error.headers,
        )
    return JSONResponse({"detail": error.reason}, error.status, headers=error.headers)


# The request's own field names; any other name in a location was the client's.
_FIELDS = {"body", "query", "path", "header", "cookie", "rows", "limit", "name"} | {
    "username",
    "password",
    "csrf_token",
}


def _location(parts: tuple[str | int, ...]) -> list[str]:
    """Where a problem is, with every name the client chose replaced."""
    return [str(part) if isinstance(part, int) or part in _FIELDS else "*" for part in parts]


def _invalid(request: Request, error: Exception) -> Response:
    """422 naming each field and check, never the value sent (pydantic would echo it)."""
    if not isinstance(error, RequestValidationError):  # registered for it only
        raise error
    problems = [
        {"loc": _location(problem["loc"]), "type": problem["type"]} for problem in error.errors()
    ]
    _service(request).metrics.refused("invalid")
    return JSONResponse({"detail": problems}, 422)


def _invalid_rows(request: Request, error: Exception) -> Response:
    """The owner's schema refused a row: columns and checks, as the pipeline reports them."""
    _service(request).metrics.refused("invalid")
    return JSONResponse({"detail": str(error)}, 422)


class _PerClient:
    """A rate limit per client address, before any route or credential is looked at."""

    def __init__(self, app: ASGIApp, limits: RateLimits, metrics: Metrics) -> None:
        self.app = app
        self.limits = limits
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            address = client[0] if client else "unknown"
            wait = self.limits.retry_after("client", address)
            if wait is not None:
                self.metrics.refused("rate_limited")
                security_event("rate_limited", client=address)
                await send_json(
                    send, 429, "too many requests", [(b"retry-after", str(wait).encode())]
                )
                return
        await self.app(scope, receive, send)


_METHODS = {"GET", "HEAD", "POST", "OPTIONS"}


class _Measured:
    """Counts each answered request by route template and status, and times it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0  # no answer started yet
        started = time.perf_counter()

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noted)
        except Exception as error:
            # Answered here, inside the security headers: Starlette's own
            # last-resort handler sits outside every middleware.
            log.error("Request failed: unexpected %s", type(error).__name__, exc_info=error)
            if status == 0:
                status = 500
                await send_json(send, 500, "the service failed; see its log")
        finally:
            # The template the router matched (set on the scope as it routed);
            # a path no route matched is counted as one label, not as itself.
            path = getattr(scope.get("route"), "path", "unmatched")
            # The method as one of a fixed few: a client may send any word.
            method = scope.get("method", "")
            method = method if method in _METHODS else "OTHER"
            self.metrics.requests.labels(route=path, method=method, status=str(status)).inc()
            self.metrics.latency.labels(route=path).observe(time.perf_counter() - started)


def create_app(settings: HardenedSettings, served: ServiceModel) -> FastAPI:
    """The app for ``served``; the model is checked against its signature first."""
    model, digest = load_model_and_digest(
        served.model_file,
        trusted=settings.trusted_model_types,
        signing_key=settings.signing_key(),
    )
    key = settings.service_key()
    engine = connect(settings.database(), served.database)
    accounts.create_tables(engine)
    # Behind a trusted proxy the browser speaks TLS to the proxy (the docs
    # require it), so the cookie and HSTS are those of TLS.
    tls = settings.service_tls_cert_file is not None or bool(
        settings.service_list("trusted_proxies")
    )
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True
    )
    openapi = bool(settings.service_openapi)
    app = FastAPI(
        openapi_url="/openapi.json" if openapi else None,
        docs_url="/docs" if openapi else None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.service = Service(
        settings=settings,
        served=served,
        engine=engine,
        model=model,
        model_sha256=digest,
        token_key=accounts.token_key(key),
        metrics=Metrics(),
        rate_limits=RateLimits(settings.service_rate_limit_per_minute),
        login_limits={kind: RateLimits(count) for kind, count in LOGIN_ATTEMPTS.items()},
        hashing=threading.BoundedSemaphore(PARALLEL_HASHES),
        templates=Jinja2Templates(env=environment),
        tls=tls,
    )
    _add_routes(app)
    if openapi:
        for found in app.routes:  # the schema and its page, read-only and public
            if not isinstance(found, APIRoute) and access_of(found) is None:
                setattr(found, _ACCESS_ATTRIBUTE, PUBLIC)
    check_every_route_declares_access(app)
    app.add_exception_handler(Refused, _refusal)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(DataValidationError, _invalid_rows)
    app.add_middleware(
        SessionMiddleware,
        secret_key=accounts.derived_key(key, b"session cookie").hex(),
        session_cookie="__Host-session" if tls else "session",
        max_age=SESSION_SECONDS,
        same_site="strict",
        https_only=tls,
    )
    origins = settings.service_list("allowed_origins")
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    service: Service = app.state.service
    app.add_middleware(
        _PerClient,
        limits=RateLimits(settings.service_rate_limit_per_minute),
        metrics=service.metrics,
    )
    app.add_middleware(
        Limits,
        max_bytes=settings.service_max_body_bytes,
        seconds=settings.service_timeout_seconds,
        metrics=service.metrics,
    )
    app.add_middleware(_Measured, metrics=service.metrics)
    app.add_middleware(SecurityHeaders, tls=tls)
    return app
