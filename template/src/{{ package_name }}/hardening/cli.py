"""How the command line starts and ends: settings, logging, one exit code per kind of failure.

``__main__.py`` (yours) builds its parser from :class:`ArgumentParser` and
hands it to :func:`run_command_line`, which

1. reads the arguments, keeping a usage error to log in the log's format;
2. loads the settings: an error is written before logging exists, in JSON
   when LOG_FORMAT says so, naming the setting and never its value;
3. sets up logging, which sends every uncaught exception, of any thread,
   through redaction;
4. runs the command, and ends every failure with one line and an exit code.

====  ===============================================================
code  meaning
====  ===============================================================
0     done
1     the command failed: data validation, the database, a model's or
      data file's integrity, decryption, the metrics webhook, a file,
      or an unexpected error
2     bad settings or usage: a setting, an argument, or text that no
      database could store as given
130   interrupted (Ctrl-C)
====  ===============================================================

An expected failure is one line, with its masked traceback at
``LOG_LEVEL=DEBUG`` only. An unexpected exception is logged at CRITICAL
with its traceback, masked.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import NoReturn

from .database import FAILURES, DatabaseError, InputError, describe
from .encryption import DecryptionError
from .logging_setup import held_records, replay, report_before_setup, setup_logging
from .model_store import ModelIntegrityError
from .settings import HardenedSettings, SettingsError, warn_if_env_file_is_shared
from .validation import DataValidationError
from .webhook import WebhookError

log = logging.getLogger(__name__.split(".", 1)[0])

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# Failures the package raises on purpose: their messages are written to be
# shown (they name a setting, a file or a check, never a value).
EXPECTED = (DataValidationError, DatabaseError, DecryptionError, ModelIntegrityError)


class UsageError(Exception):
    """The command line's arguments are wrong."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, whose errors are raised, then logged like any other failure.

    argparse would print them to standard error itself, as plain text, and
    exit before the log's format is known.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def run_command_line(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    settings_class: type[HardenedSettings],
) -> int:
    """Parse ``argv``, load the settings, set up logging, run the command; the exit code.

    Each subcommand sets ``handler`` (called with the arguments and the
    settings, returning an exit code) and may set ``failure``, the start of
    its error line ("The run failed").
    """
    usage_error, args = None, None
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        usage_error = error
    except Exception as error:  # an argument's type= that raised something else
        usage_error = UsageError(f"the arguments could not be read ({type(error).__name__})")
    with held_records() as held:
        try:
            settings = settings_class.load()
        except Exception as error:  # SettingsError names the setting; others, their type
            reason = str(error) if isinstance(error, SettingsError) else type(error).__name__
            report_before_setup(reason, settings_class, held=held)
            return EXIT_USAGE
    setup_logging(settings)
    replay(held)
    if args is None:
        log.error("%s", usage_error)
        return EXIT_USAGE
    warn_if_env_file_is_shared()
    failure = getattr(args, "failure", "The command failed")
    try:
        return int(args.handler(args, settings))
    except KeyboardInterrupt:
        log.error("Interrupted")
        return EXIT_INTERRUPTED
    except SystemExit as stop:  # sys.exit("text") would print the text itself, unmasked
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or EXIT_OK
        log.error("%s: %s", failure, stop.code)
        return EXIT_FAILED
    except Exception as error:  # every failure ends here, as one line and a code
        return report(error, failure)


def report(error: Exception, failure: str) -> int:
    """Log ``error`` as the end of a command that failed; the exit code it calls for."""
    code, reason = classify(error)
    if code is None:
        log.critical("%s: unexpected %s", failure, type(error).__name__, exc_info=error)
        return EXIT_FAILED
    # The traceback is for whoever debugs; masked like the rest of the record.
    details = error if log.isEnabledFor(logging.DEBUG) else None
    log.error("%s: %s", failure, reason, exc_info=details)
    return code


def classify(error: Exception) -> tuple[int | None, str]:
    """The exit code and one-line reason of an expected failure; ``None`` if unexpected."""
    if isinstance(error, SettingsError | InputError | UsageError):
        return EXIT_USAGE, str(error)
    if isinstance(error, WebhookError):
        return EXIT_FAILED, f"the metrics were not sent: {error}"
    if isinstance(error, EXPECTED):
        return EXIT_FAILED, str(error)
    if isinstance(error, FAILURES):  # a driver's message can quote a row: by kind only
        return EXIT_FAILED, describe(error)
    if isinstance(error, OSError):  # a folder that cannot be written, a full disk
        what = error.filename or "a file"
        return EXIT_FAILED, f"{what}: {error.strerror or type(error).__name__}"
    return None, type(error).__name__
