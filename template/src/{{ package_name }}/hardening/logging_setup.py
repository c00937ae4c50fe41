"""The project's one logging configuration: readable text or JSON lines, secrets masked.

Call :func:`setup_logging` once, at start-up. Everything below is applied
through ``logging.config.dictConfig`` from :func:`logging_config`, the single
place to read or change how the project logs. The redaction filter sits on the
handler, so it sees every record that is written, from this package and from
libraries alike, at every level.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import logging.config
import math
import sys
import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from . import uncaught
from .redaction import Redactor, one_line
from .settings import HardenedSettings
from .tracebacks import format_exception

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

# Third-party loggers that are chatty at INFO/DEBUG. They are turned down, not
# off: their warnings and errors still reach the log.
NOISY_LIBRARIES = ("urllib3", "matplotlib", "PIL", "numexpr", "asyncio")


def _utc_iso(created: float) -> str:
    return datetime.fromtimestamp(created, tz=UTC).isoformat(timespec="milliseconds")


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}


class RedactingFilter(logging.Filter):
    """Masks secrets in every part of a record a formatter may print.

    The record is rewritten in place, once, before any formatter sees it: the
    message is interpolated, masked and made one line; the logger and level
    names are masked and made one line; extra fields are masked by name and by
    content at any depth; the traceback (database errors' messages withheld,
    see ``tracebacks.py``) and stack are formatted, masked, and every line of
    them made one line, so only real line ends remain.
    """

    def __init__(self, secrets: Iterable[str] = (), patterns: Iterable[str] = ()) -> None:
        super().__init__()
        self._redact = Redactor(secrets, patterns)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._rewrite(record)
        except Exception as error:  # never let a record through unmasked, nor raise to the caller
            record.msg = f"a log record could not be masked ({type(error).__name__}); left out"
            record.args = None
            record.name = __name__
            record.exc_info = record.exc_text = record.stack_info = None
            for key in extra_fields(record):
                vars(record).pop(key)
        return True

    def _rewrite(self, record: logging.LogRecord) -> None:
        redact = self._redact
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError) as error:  # arguments that do not fit
            message = f"{record.msg} (arguments did not fit: {type(error).__name__})"
        record.msg = redact.line(message)
        record.args = None
        record.name = redact.line(record.name)
        record.levelname = redact.line(record.levelname)
        # Through the record's dict: an extra key need not be a string. A key
        # that masking or repr() turns into a field the record has already
        # (an object whose repr is "levelname") must not replace that field.
        fields = vars(record)
        for key, value in extra_fields(record).items():
            fields.pop(key)
            # vars() is typed with str keys, but code can put any key there.
            label: object = key
            name = redact.line(label if isinstance(label, str) else repr(label))
            while name in fields or name in _STANDARD_ATTRIBUTES:
                name += "_"
            fields[name] = redact.value(value, key)
        if record.exc_info and not record.exc_text:
            record.exc_text = format_exception(record.exc_info)
        if record.exc_text:
            record.exc_text = self._lines(record.exc_text)
        if record.stack_info:
            record.stack_info = self._lines(record.stack_info)

    def _lines(self, text: str) -> str:
        """Masked whole (a name and its value may stand on two lines), then line by line."""
        return "\n".join(one_line(line) for line in self._redact(text).split("\n"))


class TextFormatter(logging.Formatter):
    """``2026-01-31T12:00:00.000+00:00 INFO    logger: message``, traceback indented.

    Traceback lines are indented so that no line after the first can pass for
    a record of its own. Extra fields are not printed; use JSON for them.
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_iso(record.created)

    def formatException(self, ei: Any) -> str:
        return format_exception(ei)

    def format(self, record: logging.LogRecord) -> str:
        first, *rest = super().format(record).split("\n")
        return "\n".join([first, *("    " + line for line in rest)])


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO-8601, UTC), level, logger, message.

    A log call's ``extra=`` fields go under ``"extra"``, so they can never
    stand in for the record's own fields; a traceback goes under
    ``"exception"``, a stack under ``"stack"``.
    """

    def formatException(self, ei: Any) -> str:
        return format_exception(ei)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = extra_fields(record)
        if extra:
            entry["extra"] = extra
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        # ASCII-only output escapes every line separator, so one record is one line.
        return json.dumps(_finite(entry), default=str, ensure_ascii=True)


class ConsoleHandler(logging.StreamHandler[IO[str]]):
    """A stream handler whose own failures print one line, never the record.

    ``logging``'s default prints a failed record's traceback, message and
    arguments to standard error: around the redaction filter.
    """

    def handleError(self, record: logging.LogRecord) -> None:
        if logging.raiseExceptions:
            kind = type(sys.exc_info()[1]).__name__
            self.write_note(f"a log record could not be written ({kind}); left out")

    def write_note(self, message: str) -> None:
        """One ERROR line about logging itself, in this handler's format; never raises."""
        note = logging.makeLogRecord(
            {"name": __name__, "levelno": logging.ERROR, "levelname": "ERROR", "msg": message}
        )
        with contextlib.suppress(Exception):  # the stream itself may be what fails
            self.stream.write(self.format(note) + self.terminator)
            self.flush()


class _Holder(logging.Handler):
    """Keeps the records logged before logging is set up, to write them later."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def held_records() -> Iterator[list[logging.LogRecord]]:
    """Hold what is logged, or warned, before set-up (while the settings load).

    Python would print it itself, unmasked and as plain text: a library's
    warning about a line of ``.env`` it cannot parse. Write the records with
    :func:`replay` once logging is set up, or :func:`report_before_setup`.
    """
    holder, previous = _Holder(), logging.lastResort
    capturing = warnings.showwarning is getattr(logging, "_showwarning", None)
    # Captured warnings go to py.warnings, which holds a handler of its own
    # (a NullHandler) once capture is on, so they never reach the last resort.
    py_warnings = logging.getLogger("py.warnings")
    logging.lastResort = holder
    logging.captureWarnings(True)
    py_warnings.addHandler(holder)
    try:
        yield holder.records
    finally:
        py_warnings.removeHandler(holder)
        logging.lastResort = previous
        logging.captureWarnings(capturing)  # as it was: set up already, or not


def replay(records: Iterable[logging.LogRecord]) -> None:
    """Write held records through the logging that is now set up."""
    for record in records:
        logging.getLogger(record.name).handle(record)


def _finite(value: Any) -> Any:
    """NaN and the infinities as strings: JSON has no such numbers, and a strict
    reader refuses the line that holds them."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def logging_config(settings: HardenedSettings, stream: IO[str] | None = None) -> dict[str, Any]:
    """The dictConfig for ``settings``; ``stream`` defaults to standard error."""
    return {
        "version": 1,
        # Loggers created before set-up (libraries') keep working.
        "disable_existing_loggers": False,
        "filters": {
            "redact": {
                "()": RedactingFilter,
                "secrets": settings.secret_values(),
                "patterns": settings.redaction_patterns,
            }
        },
        "formatters": {"text": {"()": TextFormatter}, "json": {"()": JsonFormatter}},
        "handlers": {
            "console": {
                "()": ConsoleHandler,
                "stream": stream or "ext://sys.stderr",
                "formatter": settings.log_format,
                "filters": ["redact"],
            }
        },
        "loggers": {name: {"level": "WARNING"} for name in NOISY_LIBRARIES},
        "root": {"level": settings.log_level, "handlers": ["console"]},
    }


def setup_logging(settings: HardenedSettings, stream: IO[str] | None = None) -> None:
    """Configure logging for the whole process from ``settings``.

    Python warnings and uncaught exceptions (of every thread) go through the
    same handler from then on, and so through redaction.
    """
    logging.config.dictConfig(logging_config(settings, stream))
    # A logger that does not propagate and has no handler of its own would
    # fall back to logging's last resort, which writes around the filter.
    logging.lastResort = logging.getLogger().handlers[0]
    logging.captureWarnings(True)
    uncaught.install()
    atexit.unregister(_drop_late_warnings)
    atexit.register(_drop_late_warnings)


def _drop_late_warnings() -> None:
    """Warnings from objects freed while the interpreter shuts down are dropped.

    By then logging may be gone, and Python would print them itself, unmasked.
    Exit handlers registered after set-up run before this one.
    """
    warnings.simplefilter("ignore")


def report_before_setup(
    message: str,
    settings_class: type[HardenedSettings],
    stream: IO[str] | None = None,
    held: Iterable[logging.LogRecord] = (),
) -> None:
    """Write an error that comes before logging can be set up: a settings error.

    One line, after any ``held`` records: JSON records when LOG_FORMAT (read
    unchecked) says ``json``, else ``error: message`` (``warning: ...`` for a
    held warning); masked like any record, with the secrets as written.
    """
    log_format, secrets = settings_class.unchecked()
    redacting = RedactingFilter(secrets, settings_class.redaction_patterns)
    error = logging.makeLogRecord(
        {"name": __name__.split(".", 1)[0], "levelno": logging.ERROR, "levelname": "ERROR"}
    )
    error.msg = message
    lines = []
    for record in [*held, error]:
        redacting.filter(record)
        if log_format == "json":
            lines.append(JsonFormatter().format(record))
        else:
            lines.append(f"{record.levelname.lower()}: {record.getMessage()}")
    out = stream or sys.stderr
    out.write("".join(line + "\n" for line in lines))
    out.flush()
