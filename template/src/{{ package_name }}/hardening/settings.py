"""Settings from the environment and ``.env``, with secrets that stay secret.

pydantic-settings reads each field from an environment variable of the same
name (upper case), falling back to ``.env`` in the working folder; real
environment variables win. It was chosen over python-dotenv plus hand-written
parsing because it validates types, and ``SecretStr`` keeps secret values
masked in ``repr``, ``str``, tracebacks and validation errors unless code asks
for them explicitly with ``get_secret_value()``.

The project's ``Settings`` (in ``config.py``, the owner's file) subclasses
:class:`HardenedSettings` to add its own fields; every setting is listed, with
a placeholder, in ``.env.example``.
"""

from __future__ import annotations

import io
import logging
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal, Self, get_args
from urllib.parse import parse_qsl, unquote, urlsplit

from dotenv import dotenv_values
from pydantic import (
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from .encryption import DataKeys, key_spellings, parse_key, parse_keys

ENV_FILE = Path(".env")

log = logging.getLogger(__name__)


# A bearer token goes into an HTTP header: visible ASCII, no spaces.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
# Real tokens are far longer; a short one would also be too short to mask.
_MIN_TOKEN_LENGTH = 8


class SettingsError(RuntimeError):
    """A setting is missing or invalid. The message names it, never its value."""


def _url_parts(value: str) -> list[str]:
    """The parts of a URL that hold secrets on their own; none for other values."""
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return []
    if not parts.scheme:
        return []
    if not parts.netloc:  # sqlite:///path?key=value: only the query's values
        values = [value for _, value in parse_qsl(parts.query) if len(value) >= 8]
        return list(dict.fromkeys(values + [unquote(value) for value in values]))
    path = parts.path if parts.path.strip("/") else ""
    query = f"?{parts.query}" if parts.query else ""
    # Each as written and percent-decoded; path segments and query values
    # long enough to be keys (webhooks put theirs there) count alone too.
    pieces = [password, path + query, path, parts.query]
    pieces += [segment for segment in path.split("/") if len(segment) >= 8]
    pieces += [value for _, value in parse_qsl(parts.query) if len(value) >= 8]
    pieces += [unquote(piece) for piece in pieces if piece]
    return list(dict.fromkeys(piece for piece in pieces if piece))


def check_webhook_token(token: str) -> None:
    """Raise ``ValueError`` unless ``token`` can be sent in a header and masked in logs."""
    if len(token) < _MIN_TOKEN_LENGTH or not _HEADER_SAFE.fullmatch(token):
        raise ValueError(
            f"must be at least {_MIN_TOKEN_LENGTH} printable ASCII characters without spaces "
            "(it is sent in a header)"
        )


def check_webhook_url(url: str) -> None:
    """Raise ``ValueError`` unless ``url`` is a complete URL the token may be sent to.

    The messages describe the problem, never any part of the URL: it may hold
    credentials, and a bad port or host is as secret as the rest.
    """
    if not url.isascii() or not _HEADER_SAFE.fullmatch(url):
        raise ValueError(
            "must be ASCII without spaces or control characters "
            "(write an international host name in its xn-- form)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number in 0-65535 raises here
        host = parts.hostname
        if host:
            host.encode("idna")  # the form the connection will need
    except (ValueError, UnicodeError):
        raise ValueError("is not a valid URL (check the host and the port)") from None
    if not host or port == 0:
        raise ValueError("must name a host (and a port from 1 to 65535, if any)")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
        raise ValueError(
            "must be an https:// URL (plain http only to localhost), "
            "so the token is never sent in clear text"
        )


def check_database_url(url: str) -> None:
    # Imported here: database.py loads SQLAlchemy and pandas, which the
    # settings need only when DATABASE_URL is set (the API promises that
    # importing HardenedSettings loads neither).
    from .database import check_url

    check_url(url)


# Each secret setting's check: it raises ValueError, naming no part of the value.
_CHECKS: dict[str, Callable[[str], object]] = {
    "metrics_webhook_url": check_webhook_url,
    "metrics_webhook_token": check_webhook_token,
    "database_url": check_database_url,
    "data_encryption_key": parse_key,
    "data_encryption_previous_keys": lambda keys: parse_keys(None, keys),
    "model_signing_key": parse_key,
}


class HardenedSettings(BaseSettings):
    """The template's settings and checks; ``config.Settings`` extends it."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # an empty placeholder counts as unset
        extra="ignore",  # .env may hold settings for other tools
        # Never echo a rejected value back into an error message.
        hide_input_in_errors=True,
        # Read once, never changed: a later assignment could skip the checks
        # that tie settings together (a URL without its token).
        frozen=True,
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Optional sink: after each run, POST reports/metrics.json to this URL.
    # The URL itself may carry credentials, so it is secret too.
    metrics_webhook_url: SecretStr | None = None
    metrics_webhook_token: SecretStr | None = None
    # Where the pipeline reads its input and records its runs; unset means
    # the embedded SQLite file data/warehouse.sqlite. Secret: URLs hold passwords.
    database_url: SecretStr | None = None
    # Data files under data/ are encrypted with this key (`make keygen`);
    # older keys, comma-separated, stay readable until `make rotate-keys`.
    data_encryption_key: SecretStr | None = None
    data_encryption_previous_keys: SecretStr | None = None
    # Models are signed with this key (HMAC-SHA256) and refused unsigned.
    model_signing_key: SecretStr | None = None

    # Extension points, set by the project's Settings in config.py.
    redaction_patterns: ClassVar[tuple[str, ...]] = ()
    trusted_model_types: ClassVar[tuple[str, ...]] = ()

    # Validators belong to the model, so every Settings instance is valid,
    # however it was made. Their messages never hold the value.
    @field_validator(*_CHECKS)
    @classmethod
    def _secret_is_well_formed(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is not None:
            _CHECKS[info.field_name or ""](value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _webhook_has_a_token(self) -> Self:
        if self.metrics_webhook_url is not None and self.metrics_webhook_token is None:
            raise ValueError(
                f"METRICS_WEBHOOK_TOKEN is required when METRICS_WEBHOOK_URL is set; "
                f"set it in {ENV_FILE} (see .env.example) or in the environment"
            )
        return self

    @classmethod
    def load(cls, **overrides: Any) -> Self:
        """Read and check the settings; raise :class:`SettingsError` naming what is wrong."""
        try:
            return cls(**overrides)
        except UnicodeDecodeError:
            # Its message would quote the offending byte of the file.
            raise SettingsError(f"{ENV_FILE} is not UTF-8 text; save it as UTF-8") from None
        except OSError as error:  # a folder, a file of another user's, a device
            reason = error.strerror or type(error).__name__
            raise SettingsError(f"{ENV_FILE} cannot be read ({reason})") from None
        except ValidationError as error:
            problems = "; ".join(
                _describe(problem)
                for problem in error.errors(include_input=False, include_url=False)
            )
            raise SettingsError(f"invalid settings ({problems}); see .env.example") from None

    def __setattr__(self, name: str, value: object) -> None:
        # pydantic's own frozen error would quote the value.
        raise AttributeError(
            f"{name.upper()} cannot be changed once the settings are read; make new settings"
        )

    def data_keys(self) -> DataKeys:
        """The data encryption keys; encryption is off without DATA_ENCRYPTION_KEY."""
        return parse_keys(
            _reveal(self.data_encryption_key), _reveal(self.data_encryption_previous_keys)
        )

    def signing_key(self) -> bytes | None:
        """The model signing key, or ``None`` to check models by SHA-256 only."""
        key = _reveal(self.model_signing_key)
        return parse_key(key) if key else None

    def database(self) -> str | None:
        """``DATABASE_URL``, or ``None`` for the embedded SQLite file."""
        return _reveal(self.database_url)

    def secret_values(self) -> list[str]:
        """Every secret value that is set, for the log redaction filter.

        A URL's password, path and query are secrets on their own too: many
        webhooks carry their key in the path, which a log line may show alone.
        """
        values = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                values += _spellings(name, value.get_secret_value())
        return list(dict.fromkeys(values))

    @classmethod
    def unchecked(cls) -> tuple[str | None, list[str]]:
        """LOG_FORMAT and the secret values as written, none of them checked.

        For a settings error, which is reported before logging can be set up:
        in JSON when LOG_FORMAT says so, with every secret that is set masked,
        even one whose value is what is wrong. Environment variables win over
        ``.env``, as when the settings load; a ``.env`` that cannot be read
        counts as empty.
        """
        env_file = cls.model_config.get("env_file")
        written: dict[str, str] = {}
        if isinstance(env_file, str | Path):
            try:
                # Undecodable bytes as U+FFFD: LOG_FORMAT may still be read.
                text = Path(env_file).read_bytes().decode("utf-8", errors="replace")
                found = _quietly(lambda: dotenv_values(stream=io.StringIO(text)))
            except (OSError, ValueError):  # missing, a folder, unreadable: nothing
                found = {}
            written = {name.lower(): value for name, value in found.items() if value}
        written |= {name.lower(): value for name, value in os.environ.items() if value}
        secrets = [
            spelling
            for name, field in cls.model_fields.items()
            if name in written and _is_secret(field.annotation)
            for spelling in _spellings(name, written[name])
        ]
        return written.get("log_format"), list(dict.fromkeys(secrets))


def _quietly(read: Callable[[], dict[str, str | None]]) -> dict[str, str | None]:
    """``read()`` without python-dotenv's warnings: the settings' own load gave them."""
    dotenv_log = logging.getLogger("dotenv.main")
    disabled, dotenv_log.disabled = dotenv_log.disabled, True
    try:
        return read()
    finally:
        dotenv_log.disabled = disabled


_KEY_FIELDS = {"data_encryption_key", "data_encryption_previous_keys", "model_signing_key"}


def _is_secret(annotation: object) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


def _spellings(name: str, value: str) -> list[str]:
    """``value`` and the parts of it that are secrets alone."""
    values = [value, *_url_parts(value)]
    # Each of several comma-separated keys alone, as well as the list, and a
    # key in its other spellings (no padding, hex).
    parts = value.split(",")
    values += [part.strip() for part in parts if len(part.strip()) >= 8]
    if name in _KEY_FIELDS:
        values += [spelling for part in parts for spelling in key_spellings(part)]
    return values


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


def _describe(problem: ErrorDetails) -> str:
    """``NAME: what is wrong``; a check of several settings names them itself."""
    message = problem["msg"].removeprefix("Value error, ")
    location = ".".join(str(part) for part in problem["loc"]).upper()
    return f"{location}: {message}" if location else message


def warn_if_env_file_is_shared(path: Path = ENV_FILE) -> bool:
    """Log a warning when others could read or change ``.env``: its mode or its owner."""
    if not path.is_file():
        return False
    info = path.stat()  # of the file a symlink points to, which is what is read
    mode = stat.S_IMODE(info.st_mode)
    warned = False
    if mode & 0o077:
        log.warning("%s has mode %o; run: chmod 600 %s", path, mode, path)
        warned = True
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        log.warning(
            "%s belongs to another user (uid %d), who can change your settings; "
            "replace it with a copy of your own, mode 600",
            path,
            info.st_uid,
        )
        warned = True
    return warned
