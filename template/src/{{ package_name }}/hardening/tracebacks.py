"""Tracebacks for the log: as Python prints them, but database errors name their type only.

A database error's message can quote the data it failed on: a driver's
``DETAIL: Key (email)=(...) already exists``, a row that did not convert.
Wherever such an error stands in a traceback (the exception logged, one of
its causes, a member of an exception group), its message and notes, and
those of every exception it was raised from (the driver's error, a value
that did not convert), are replaced by :data:`WITHHELD`; frames and types
stay, so the failure can still be found. Every other message is kept, and
masked by the redaction filter like the rest of the record.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Iterator
from types import TracebackType

WITHHELD = "(message withheld: a database error can quote the data it failed on)"

# Where database errors are defined: SQLAlchemy, the drivers it may load,
# and pandas' own wrapper for read_sql.
_DATABASE_MODULES = ("sqlalchemy", "psycopg", "psycopg2", "sqlite3", "_sqlite3", "pymysql")
_PANDAS_DATABASE_ERROR = ("pandas.errors", "DatabaseError")


def withholds_message(error: BaseException) -> bool:
    """True when ``error`` is a database error, whose message may quote data."""
    for kind in type(error).__mro__:
        if (kind.__module__, kind.__qualname__) == _PANDAS_DATABASE_ERROR:
            return True
        if kind.__module__.split(".", 1)[0] in _DATABASE_MODULES:
            return True
    return False


def format_exception(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None]
    | tuple[None, None, None],
) -> str:
    """The traceback of ``exc_info``, without the messages of database errors."""
    error = exc_info[1]
    if error is None:
        return "NoneType: None"
    shown = traceback.TracebackException.from_exception(error)
    pairs = list(_pairs(error, shown))
    # An exception a database error wraps is withheld wherever else it stands
    # too: as a group's member, or raised again (`raise error.orig`).
    withheld = _wrapped_by_database_errors(real for real, _ in pairs)
    originals: list[str] = []
    for real, node in pairs:
        if id(real) in withheld:
            originals += _texts(real)
            fields = vars(node)  # the node's private copies of what it prints
            fields["_str"] = WITHHELD
            fields["__notes__"] = None
            if "msg" in fields:  # a SyntaxError prints its msg, file name and source line
                fields.update(msg=WITHHELD, text=None, filename="<withheld>")
    text = "".join(shown.format()).rstrip("\n")
    # Should a Python release print a message from elsewhere, nothing of it
    # may pass: the frames are dropped too, and the types alone remain. The
    # frames' source lines are not searched: code may spell out a message.
    frames = "".join(chunk for _, node in pairs for chunk in node.stack.format())
    source = {line.strip() for line in frames.split("\n")}
    printed = [line for line in text.split("\n") if line.strip(" |") not in source]
    if any(original in line for line in printed for original in originals):
        kinds = ", ".join(type(real).__name__ for real, _ in pairs)
        return f"Traceback withheld: a database error is in it ({kinds})"
    return text


def _texts(error: BaseException) -> list[str]:
    """Each line an exception could print of itself, for the check that none did."""
    texts = [_safe_str(error), *map(_safe_str, error.args)]
    texts += map(_safe_str, getattr(error, "__notes__", None) or ())
    if isinstance(error, SyntaxError):
        texts += [_safe_str(error.msg), _safe_str(error.text)]
    lines = (line.strip() for text in texts for line in text.split("\n"))
    return [line for line in lines if len(line) >= 4]


def _safe_str(value: object) -> str:
    try:
        return str(value) if value is not None else ""
    except Exception:  # an object whose __str__ fails prints nothing of itself
        return ""


def _wrapped_by_database_errors(errors: Iterable[BaseException]) -> set[int]:
    """The ids of every database error and of every exception it was raised from."""
    found: set[int] = set()
    for error in errors:
        if withholds_message(error):
            pending = [error]
            while pending:
                current = pending.pop()
                if id(current) in found:
                    continue
                found.add(id(current))
                pending += [e for e in (current.__cause__, current.__context__) if e is not None]
                if isinstance(current, BaseExceptionGroup):
                    pending += current.exceptions
    return found


def _pairs(
    error: BaseException, shown: traceback.TracebackException
) -> Iterator[tuple[BaseException, traceback.TracebackException]]:
    """Each exception of the chain and groups with the node that prints it, every
    place it is printed; iterative, so a chain of any length is read."""
    pending = [(error, shown)]
    while pending:
        real, node = pending.pop()
        yield real, node
        if node.__cause__ is not None and real.__cause__ is not None:
            pending.append((real.__cause__, node.__cause__))
        if node.__context__ is not None and real.__context__ is not None:
            pending.append((real.__context__, node.__context__))
        if isinstance(real, BaseExceptionGroup) and node.exceptions:
            pending += zip(real.exceptions, node.exceptions, strict=False)
