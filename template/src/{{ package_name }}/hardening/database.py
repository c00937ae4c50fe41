"""The database behind ``DATABASE_URL``: SQLAlchemy Core, bound parameters only.

Every query is built with SQLAlchemy's expression language (``select``,
``insert``, ``table.c.column == value``), which sends values to the driver as
bound parameters, never inside the SQL text. Names that must vary (a column
to sort by) come from a fixed allow-list through :func:`choose`, never from
input. Without ``DATABASE_URL`` the project uses an embedded SQLite file,
created with mode 0600; ``postgresql://`` URLs use the psycopg driver, and
reach a server off this machine only over TLS that verifies it
(``sslmode=verify-full`` with a CA: :func:`check_url`).

The entry points that run SQL text (``sqlalchemy.text``, ``pandas.read_sql``,
the drivers) are banned by ruff (``pyproject.toml``); :func:`read_query` is
how a ``select()`` reaches pandas.
"""

from __future__ import annotations

import inspect
import ipaddress
import os
import unicodedata
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import URL, CompoundSelect, Connection, Engine, Select, create_engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

# A label or filter typed by a person: long enough for a sentence, short
# enough that nobody stores a document in it.
MAX_TEXT = 1000


# What reading or writing the database can raise: SQLAlchemy's errors, and
# pandas' wrapper around them (read_sql). Both may quote a row's values.
FAILURES = (SQLAlchemyError, pd.errors.DatabaseError)


# Control, format (direction overrides, zero-width), surrogate, private-use,
# unassigned and line or paragraph separator characters: refused in typed
# text, replaced on output.
_UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


class InputError(ValueError):
    """A value typed by a person cannot be used. The message never holds it."""


class DatabaseError(RuntimeError):
    """The database cannot be used. The message never holds the URL or a value."""


class UnverifiedServerError(DatabaseError):
    """``DATABASE_URL`` could reach PostgreSQL on another machine without verified TLS."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"DATABASE_URL {problem}")
        self.problem = problem


# What a server off this machine needs: TLS, and the server's certificate
# checked against a CA the owner names and against the host name.
_ADD_TLS = (
    "add sslmode=verify-full and sslrootcert=/path/to/ca.pem (the CA that signed "
    "the server's certificate) to its query; only localhost, 127.0.0.0/8, ::1 and "
    "Unix sockets are reached without TLS"
)


def check_url(url: str) -> None:
    """Raise ``ValueError`` unless SQLAlchemy can use ``url`` (never quoting it).

    A PostgreSQL server that is not on this machine must be verified
    (``sslmode=verify-full`` and ``sslrootcert``): see :func:`_check_transport`.
    """
    try:
        # A warning (a query option the driver ignores) would be printed raw,
        # before logging is set up, quoting the option: refuse the URL instead.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _engine(url).dispose()
    except UnverifiedServerError as error:
        raise ValueError(error.problem) from None
    except DatabaseError:
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
        return _engine(URL.create("sqlite", database=str(default_file)))
    return _engine(url)


def _engine(url: str | URL) -> Engine:
    """An engine (no connection yet); any error says which setting, never its value."""
    try:
        parsed = make_url(url)
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        postgresql = parsed.get_backend_name() == "postgresql"
        if postgresql and parsed.get_driver_name() != "psycopg":
            raise UnverifiedServerError(
                "must reach PostgreSQL through psycopg (postgresql:// or "
                "postgresql+psycopg://), whose TLS settings are the ones checked"
            )
        # hide_parameters: a failed statement's error would otherwise quote its values.
        engine = create_engine(parsed, hide_parameters=True)
        if postgresql:
            _check_transport(engine)
        return engine
    except UnverifiedServerError:
        raise
    # Whatever SQLAlchemy or a driver raises for a bad URL or query option
    # (ArgumentError, an unknown plugin, a value that is not a number...)
    # can quote part of it.
    except Exception as error:
        raise DatabaseError(
            f"DATABASE_URL cannot be used ({type(error).__name__}); see .env.example"
        ) from None


def _check_transport(engine: Engine) -> None:
    """Refuse a PostgreSQL URL that could reach another machine without verified TLS.

    The parameters are read as they reach libpq: SQLAlchemy's psycopg dialect
    turns the URL into keyword arguments (a ``host`` in the query replaces the
    one before the path), psycopg passes on all but its own, and libpq's own
    parser reads them; what they leave out libpq takes from PGHOST,
    PGHOSTADDR, PGSERVICE and the other PG* variables (``PQconndefaults``).
    Only the URL may say how the server is verified: an environment variable
    could not weaken what the URL says, but a reader of DATABASE_URL could
    not see it either.
    """
    # Imported here, for PostgreSQL URLs only: SQLite needs no driver. Waived
    # from the SQL ban: libpq's parser and defaults, no cursor, no SQL.
    from psycopg import Connection, Error, conninfo, pq  # noqa: TID251

    _, arguments = engine.dialect.create_connect_args(engine.url)
    own = inspect.signature(Connection.connect).parameters
    given = {name: value for name, value in arguments.items() if name not in own}
    # psycopg merges a conninfo argument (a URL's ?conninfo=) with the rest,
    # so it is read with them: its host and sslmode reach libpq too.
    base = arguments.get("conninfo", "")
    # A parameter given twice is a tuple here (libpq would take the last one).
    if not isinstance(base, str) or any(
        isinstance(value, tuple | list) for value in given.values()
    ):
        raise UnverifiedServerError(
            "gives a parameter twice (libpq would use only the last one); give each once"
        )
    try:
        explicit = conninfo.conninfo_to_dict(conninfo.make_conninfo(base, **given))
        defaults = {
            option.keyword.decode(): option.val.decode()
            for option in pq.Conninfo.get_defaults()
            if option.val is not None
        }
    except Error:
        raise UnverifiedServerError(
            "holds a parameter libpq does not take (names are lower case: sslmode, "
            "sslrootcert), or PGSERVICE names a service that cannot be read"
        ) from None
    if "service" in explicit:
        # Its file could add a hostaddr that no reader of the URL would see.
        raise UnverifiedServerError(
            "must not name a service (service=): write the host, sslmode=verify-full "
            "and sslrootcert into DATABASE_URL itself"
        )
    effective = defaults | {name: str(value) for name, value in explicit.items()}
    if _all_local(effective.get("host", ""), effective.get("hostaddr", "")):
        return
    if explicit.get("sslmode") != "verify-full" or not _is_ca(
        str(explicit.get("sslrootcert", "")), pq.version()
    ):
        where = [name for name in ("PGHOST", "PGHOSTADDR", "PGSERVICE") if os.environ.get(name)]
        source = f" (with {', '.join(where)} from the environment)" if where else ""
        raise UnverifiedServerError(
            f"reaches a PostgreSQL server on another machine{source} without verifying "
            f"it: {_ADD_TLS}"
        )


def _all_local(hosts: str, addresses: str) -> bool:
    """Whether every host libpq may try (``host`` and ``hostaddr`` lists) is this machine."""
    names = hosts.split(",") if hosts else []
    numbers = addresses.split(",") if addresses else []
    # libpq pairs the two lists; an empty hostaddr entry means "look the name up".
    for index in range(max(len(names), len(numbers))):
        address = numbers[index] if index < len(numbers) else ""
        name = names[index] if index < len(names) else ""
        if not _is_local(address or name):
            return False
    return True


def _is_local(host: str) -> bool:
    """A loopback address, ``localhost`` itself, or a Unix socket (empty: the default one).

    Names are not looked up: ``localhost.example.com`` or ``127.0.0.1.nip.io``
    can point anywhere, and ``127.1`` is not an address to Python either.
    """
    if not host or host.startswith(("/", "@")) or host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ca(root: str, libpq_version: int) -> bool:
    """Whether ``sslrootcert`` names CAs libpq can read: a file, or the system's (libpq 16+)."""
    if root == "system":
        return libpq_version >= 160000
    return bool(root) and Path(root).is_file()


def _create_private(path: Path) -> None:
    """Create the SQLite file readable by its owner only, before SQLite does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(descriptor)


def read_query(
    statement: Select[Any] | CompoundSelect[Any], connection: Connection
) -> pd.DataFrame:
    """The rows of a SQLAlchemy ``select()`` (values bound) as a data frame.

    pandas' ``read_sql`` also runs any string as SQL, so the project may not
    call it; this is the one place that does, and only with a statement.
    Columns are named with plain ``str``: SQLAlchemy's names are a subclass
    that scikit-learn does not take as feature names (it would then not
    check them when a model scores).
    """
    if not isinstance(statement, Select | CompoundSelect):
        raise TypeError(
            f"read_query() takes a select(), not {type(statement).__name__}: "
            "build queries with SQLAlchemy and bound values, never SQL text"
        )
    frame = pd.read_sql(statement, connection)  # noqa: TID251
    frame.columns = [str(name) for name in frame.columns]
    return frame


def describe(error: BaseException) -> str:
    """What failed, by kind only: a driver's message can quote a row's values."""
    kind = type(error).__name__
    cause = error.orig if isinstance(error, DBAPIError) else error.__cause__
    if cause is not None:
        kind += f" from {type(cause).__name__}"
        # libpq tells a server it could not verify only in its message, which
        # names the host: say what failed, never the message.
        if type(cause).__name__ == "OperationalError" and "certificate" in str(cause):
            return (
                f"the database failed ({kind}): the server's TLS certificate was refused; "
                "check that sslrootcert in DATABASE_URL is the CA that signed it and that "
                "the URL's host is a name the certificate holds"
            )
    return f"the database failed ({kind}); check DATABASE_URL and that the server is up"


def check_text(value: str, what: str) -> str:
    """Return ``value`` if it can be stored as text on every backend; else raise.

    Quotes, semicolons and SQL keywords are fine (values are bound, never
    spliced); control characters (NUL above all: PostgreSQL text cannot hold
    it) and runaway lengths are refused. The message never holds the value.
    """
    if not value or len(value) > MAX_TEXT:
        raise InputError(f"{what} must be 1 to {MAX_TEXT} characters")
    if any(unicodedata.category(character) in _UNPRINTABLE for character in value):
        raise InputError(f"{what} must not hold control, format or line-separator characters")
    return value


def printable(value: str) -> str:
    """``value`` for a terminal: control and direction-changing characters shown as \ufffd.

    Rows may have been written by other tools, without :func:`check_text`.
    """
    return "".join(
        "\ufffd" if unicodedata.category(character) in _UNPRINTABLE else character
        for character in str(value)
    )


def choose(name: str, allowed: Mapping[str, Any], what: str) -> Any:
    """Pick a column (or any SQL name) from a fixed allow-list; refuse anything else."""
    try:
        return allowed[name]
    except KeyError:
        raise InputError(f"{what} must be one of: {', '.join(sorted(allowed))}") from None
