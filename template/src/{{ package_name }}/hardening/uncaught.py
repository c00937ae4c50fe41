"""Uncaught exceptions go through the project's logging, and so through redaction.

Python prints an exception nobody caught with its own handler, straight to
standard error: around the logging set-up, its redaction filter and its JSON
format. :func:`install` (called by ``setup_logging``) replaces the three
places Python does that with hooks that log instead:

- ``sys.excepthook``: the main thread; logged at CRITICAL, the process ends;
- ``threading.excepthook``: any other thread; logged at ERROR, the process goes on;
- ``sys.unraisablehook``: errors Python can only ignore (in ``__del__``, in a
  garbage-collected generator); logged at ERROR.

Each becomes one record whose traceback (chained causes, notes and groups
included) is masked like any other record, so it is one line in JSON mode.
Not covered, because nothing reaches Python: a process the kernel kills
(out of memory, SIGKILL), a crash of the interpreter itself, and text that
code writes to ``sys.stderr`` or ``print()`` without logging it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from types import TracebackType

# The package's own logger ("churn_model"), named after the package, not this module.
log = logging.getLogger(__name__.split(".", 1)[0])


def log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    """``sys.excepthook``: the main thread raised, and the process ends."""
    if issubclass(kind, KeyboardInterrupt):
        _log(logging.ERROR, "Interrupted", None)
        return
    _log(logging.CRITICAL, "Uncaught exception", (kind, error, traceback))


def log_thread_exception(args: threading.ExceptHookArgs) -> None:
    """``threading.excepthook``: a thread other than the main one raised."""
    if args.exc_type is SystemExit:  # a thread that calls sys.exit() ends quietly
        return
    name = args.thread.name if args.thread is not None else "unknown"
    error = args.exc_value if args.exc_value is not None else args.exc_type()
    _log(
        logging.ERROR,
        f"Uncaught exception in thread {name}",
        (args.exc_type, error, args.exc_traceback),
    )


def log_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """``sys.unraisablehook``: an error Python could only ignore."""
    if log is None:  # late in shutdown this module's globals are gone: nothing can log
        return  # type: ignore[unreachable]
    # The object is named by its type: its repr() may hold anything.
    where = unraisable.err_msg or "Exception ignored"
    if unraisable.object is not None:
        where += f" in a {type(unraisable.object).__name__}"
    error = unraisable.exc_value if unraisable.exc_value is not None else unraisable.exc_type()
    _log(logging.ERROR, where, (unraisable.exc_type, error, unraisable.exc_traceback))


def _log(
    level: int,
    message: str,
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None] | None,
) -> None:
    try:
        log.log(level, "%s", message, exc_info=exc_info)
    # A hook must not raise, not even on Ctrl-C while it masks a long
    # traceback: Python would then print the original exception itself.
    except BaseException as error:
        kind = exc_info[0].__name__ if exc_info else "exception"
        with contextlib.suppress(BaseException):
            _note(f"an uncaught {kind} could not be logged ({type(error).__name__}); left out")


def _note(message: str) -> None:
    """One line, in the log's format when the console handler can write it."""
    for handler in logging.getLogger().handlers:
        write_note = getattr(handler, "write_note", None)
        if write_note is not None:
            write_note(message)
            return
    sys.stderr.write(message + "\n")


def install() -> None:
    """Send every uncaught exception through logging; safe to call more than once."""
    sys.excepthook = log_uncaught
    threading.excepthook = log_thread_exception
    sys.unraisablehook = log_unraisable
