"""The database behind ``DATABASE_URL``: SQLAlchemy Core, bound parameters only.

Every query is built with SQLAlchemy's expression language (``select``,
``insert``, ``table.c.column == value``), which sends values to the driver as
bound parameters, never inside the SQL text. Names that must vary (a column
to sort by) come from a fixed allow-list through :func:`choose`, never from
input. Without ``DATABASE_URL`` the project uses an embedded SQLite file,
created with mode 0600; ``postgresql://`` URLs use the psycopg driver.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

# A label or filter typed by a person: long enough for a sentence, short
# enough that nobody stores a document in it.
MAX_TEXT = 1000


class InputError(ValueError):
    """A value typed by a person cannot be used. The message never holds it."""


def check_url(url: str) -> None:
    """Raise ``ValueError`` unless SQLAlchemy can use ``url`` (never quoting it)."""
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise ValueError(
            "is not a database URL SQLAlchemy can use "
            "(for example postgresql://user:(password)@host/name or sqlite:///path)"
        ) from None


def connect(url: str | None, default_file: Path | None = None) -> Engine:
    """An engine for ``url``, or for the SQLite file ``default_file`` when it is ``None``."""
    if url is None:
        if default_file is None:
            raise ValueError("connect() needs a URL or a default SQLite file")
        _create_private(default_file)
        url = f"sqlite:///{default_file}"
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    # hide_parameters: a failed statement's error would otherwise quote its values.
    return create_engine(parsed, hide_parameters=True)


def _create_private(path: Path) -> None:
    """Create the SQLite file readable by its owner only, before SQLite does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(descriptor)


def describe(error: SQLAlchemyError) -> str:
    """What failed, by kind only: a driver's message can quote a row's values."""
    kind = type(error).__name__
    if isinstance(error, DBAPIError) and error.orig is not None:
        kind += f" from the driver's {type(error.orig).__name__}"
    return f"the database failed ({kind}); check DATABASE_URL and that the server is up"


def check_text(value: str, what: str) -> str:
    """Return ``value`` if it can be stored as text on every backend; else raise.

    Quotes, semicolons and SQL keywords are fine (values are bound, never
    spliced); control characters (NUL above all: PostgreSQL text cannot hold
    it) and runaway lengths are refused. The message never holds the value.
    """
    if not value or len(value) > MAX_TEXT:
        raise InputError(f"{what} must be 1 to {MAX_TEXT} characters")
    if any(unicodedata.category(character) in {"Cc", "Cs"} for character in value):
        raise InputError(f"{what} must not hold control characters")
    return value


def printable(value: str) -> str:
    """``value`` for a terminal: control and direction-changing characters shown as \ufffd.

    Rows may have been written by other tools, without :func:`check_text`.
    """
    return "".join(
        "\ufffd" if unicodedata.category(character) in {"Cc", "Cf", "Cs"} else character
        for character in value
    )


def choose(name: str, allowed: Mapping[str, Any], what: str) -> Any:
    """Pick a column (or any SQL name) from a fixed allow-list; refuse anything else."""
    try:
        return allowed[name]
    except KeyError:
        raise InputError(f"{what} must be one of: {', '.join(sorted(allowed))}") from None
