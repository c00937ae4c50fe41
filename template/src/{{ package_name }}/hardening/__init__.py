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

# The submodule that defines each name of the API.
_MODULES = {
    # Settings, logging and the command line
    "settings": ("HardenedSettings", "SettingsError"),
    "logging_setup": ("setup_logging",),
    "redaction": ("secret_patterns",),
    "cli": ("ArgumentParser", "run_command_line"),
    "commands": ("ProjectFolders", "add_commands"),
    # The database, with bound values only
    "database": ("connect", "read_query", "check_text", "choose"),
    # Input checked against its schema
    "validation": ("validate", "DataValidationError"),
    # Data files, encrypted at rest when a key is set
    "datafiles": ("read_frame", "write_frame", "refuse_downgrade"),
    "encryption": ("new_key",),
    # Models, signed or checksummed, loaded without pickle
    "model_store": ("save_model", "load_model", "verified_bytes", "ModelIntegrityError"),
    # The record of each run
    "runs": ("record_run", "find_runs", "Run", "Tags"),
    # Metrics sent on
    "webhook": ("post_metrics",),
}
_SOURCES = {name: module for module, names in _MODULES.items() for name in names}

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
