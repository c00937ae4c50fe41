"""Settings from the environment and ``.env``, with secrets that stay secret.

pydantic-settings reads each field from an environment variable of the same
name (upper case), falling back to ``.env`` in the working folder; real
environment variables win. It was chosen over python-dotenv plus hand-written
parsing because it validates types, and ``SecretStr`` keeps secret values
masked in ``repr``, ``str``, tracebacks and validation errors unless code asks
for them explicitly with ``get_secret_value()``.

Every setting is listed, with a placeholder, in ``.env.example``.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_FILE = Path(".env")

log = logging.getLogger(__name__)


class SettingsError(RuntimeError):
    """A setting is missing or invalid. The message names it, never its value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # an empty placeholder counts as unset
        extra="ignore",  # .env may hold settings for other tools
        # Never echo a rejected value back into an error message.
        hide_input_in_errors=True,
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Optional sink: after each run, POST reports/metrics.json to this URL.
    # The URL itself may carry credentials, so it is secret too.
    metrics_webhook_url: SecretStr | None = None
    metrics_webhook_token: SecretStr | None = None

    def secret_values(self) -> list[str]:
        """Every secret value that is set, for the log redaction filter."""
        values = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                values.append(value.get_secret_value())
        return values


def _check_webhook(settings: Settings) -> None:
    if settings.metrics_webhook_url is None:
        return
    if settings.metrics_webhook_token is None:
        raise SettingsError(
            "METRICS_WEBHOOK_TOKEN is required when METRICS_WEBHOOK_URL is set; "
            f"set it in {ENV_FILE} (see .env.example) or in the environment"
        )
    parts = urlsplit(settings.metrics_webhook_url.get_secret_value())
    loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise SettingsError(
            "METRICS_WEBHOOK_URL must be an https:// URL (plain http only to localhost), "
            "so the token is never sent in clear text"
        )


def load_settings(**overrides: object) -> Settings:
    """Read and check the settings; raise :class:`SettingsError` naming what is wrong."""
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc'])).upper()}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        )
        raise SettingsError(f"invalid settings ({problems}); see .env.example") from None
    _check_webhook(settings)
    return settings


def warn_if_env_file_is_shared(path: Path = ENV_FILE) -> bool:
    """Log a warning when ``.env`` is readable or writable by group or others."""
    if not path.is_file():
        return False
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s has mode %o; run: chmod 600 %s", path, mode, path)
        return True
    return False
