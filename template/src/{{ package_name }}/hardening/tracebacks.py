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
from collections.abc import Iterator
from types import TracebackType
from typing import TypeAlias

WITHHELD = "(message withheld: a database error can quote the data it failed on)"

# Where database errors are defined: SQLAlchemy, the drivers it may load,
# and pandas' own wrapper for read_sql.
_DATABASE_MODULES = ("sqlalchemy", "psycopg", "psycopg2", "sqlite3", "_sqlite3", "pymysql")
_PANDAS_DATABASE_ERROR = ("pandas.errors", "DatabaseError")

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None]


def withholds_message(error: BaseException) -> bool:
    """True when ``error`` is a database error, whose message may quote data."""
    for kind in type(error).__mro__:
        if (kind.__module__, kind.__qualname__) == _PANDAS_DATABASE_ERROR:
            return True
        if kind.__module__.split(".", 1)[0] in _DATABASE_MODULES:
            return True
    return False


def format_exception(exc_info: ExcInfo | tuple[None, None, None]) -> str:
    """The traceback of ``exc_info``, without the messages of database errors."""
    error = exc_info[1]
    if error is None:
        return "NoneType: None"
    shown = traceback.TracebackException.from_exception(error)
    originals = []
    for _, node, withheld in _pairs(error, shown, set(), wrapped=False):
        if withheld:
            # The node's private copy of the message; checked below.
            fields = vars(node)
            originals += [str(fields.get("_str", "")), *map(str, fields.get("__notes__") or ())]
            fields["_str"] = WITHHELD
            fields["__notes__"] = None
    text = "".join(shown.format()).rstrip("\n")
    # Should a Python release keep the message elsewhere, nothing of it may
    # pass: the frames are dropped too, and the types alone remain.
    if any(original and original in text for original in originals if len(original) >= 4):
        kinds = ", ".join(type(real).__name__ for real, *_ in _pairs(error, shown, set(), False))
        return f"Traceback withheld: a database error is in it ({kinds})"
    return text


def _pairs(
    real: BaseException, node: traceback.TracebackException, seen: set[int], wrapped: bool
) -> Iterator[tuple[BaseException, traceback.TracebackException, bool]]:
    """Each exception of the chain and groups, the node that prints it, and whether
    its message is withheld: a database error's, or one a database error wraps."""
    if id(real) in seen:
        return
    seen.add(id(real))
    withheld = wrapped or withholds_message(real)
    yield real, node, withheld
    if node.__cause__ is not None and real.__cause__ is not None:
        yield from _pairs(real.__cause__, node.__cause__, seen, withheld)
    if node.__context__ is not None and real.__context__ is not None:
        yield from _pairs(real.__context__, node.__context__, seen, withheld)
    members = getattr(real, "exceptions", None)
    for member, member_node in zip(members or (), node.exceptions or (), strict=False):
        yield from _pairs(member, member_node, seen, withheld)
