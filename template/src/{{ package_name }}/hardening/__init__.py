"""The template's hardening code: kept up to date by `copier update`; do not edit.

The names below are its API, the only part your modules use (``from
.hardening import connect, validate``); the submodules behind them are the
template's to change, and import-linter (`make lint`) refuses an import of
one from your code. A minor release of the template may add names here; only
a major release removes or changes one, and its upgrade notes say how to
follow. Extend the hardening from ``config.py`` (your settings, extra
redaction patterns, extra trusted model types), which is yours.

Each name is imported on first use, so ``from .hardening import
HardenedSettings`` does not load pandas or scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cli import ArgumentParser, run_command_line
    from .commands import ProjectFolders, add_commands
    from .database import check_text, choose, connect, read_query
    from .datafiles import read_frame, refuse_downgrade, write_frame
    from .encryption import new_key
    from .logging_setup import setup_logging
    from .model_store import ModelIntegrityError, load_model, save_model, verified_bytes
    from .redaction import secret_patterns
    from .runs import Run, Tags, find_runs, record_run
    from .settings import HardenedSettings, SettingsError
    from .validation import DataValidationError, validate
    from .webhook import post_metrics

# Each name of the API, and the submodule that defines it.
_SOURCES = {
    # Settings, logging and the command line
    "HardenedSettings": "settings",
    "SettingsError": "settings",
    "setup_logging": "logging_setup",
    "secret_patterns": "redaction",
    "ArgumentParser": "cli",
    "run_command_line": "cli",
    "ProjectFolders": "commands",
    "add_commands": "commands",
    # The database, with bound values only
    "connect": "database",
    "read_query": "database",
    "check_text": "database",
    "choose": "database",
    # Input checked against its schema
    "validate": "validation",
    "DataValidationError": "validation",
    # Data files, encrypted at rest when a key is set
    "read_frame": "datafiles",
    "write_frame": "datafiles",
    "refuse_downgrade": "datafiles",
    "new_key": "encryption",
    # Models, signed or checksummed, loaded without pickle
    "save_model": "model_store",
    "load_model": "model_store",
    "verified_bytes": "model_store",
    "ModelIntegrityError": "model_store",
    # The record of each run
    "record_run": "runs",
    "find_runs": "runs",
    "Run": "runs",
    "Tags": "runs",
    # Metrics sent on
    "post_metrics": "webhook",
}

__all__ = [
    "ArgumentParser",
    "DataValidationError",
    "HardenedSettings",
    "ModelIntegrityError",
    "ProjectFolders",
    "Run",
    "SettingsError",
    "Tags",
    "add_commands",
    "check_text",
    "choose",
    "connect",
    "find_runs",
    "load_model",
    "new_key",
    "post_metrics",
    "read_frame",
    "read_query",
    "record_run",
    "refuse_downgrade",
    "run_command_line",
    "save_model",
    "secret_patterns",
    "setup_logging",
    "validate",
    "verified_bytes",
    "write_frame",
]


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{source}", __name__), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
