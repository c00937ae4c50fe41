"""The template's hardening code: kept up to date by `copier update`; do not edit.

Settings loading and secret masking, logging and redaction, model integrity
and the metrics webhook live here, apart from your own modules, so that a
hardening release can replace this whole folder without touching your work.
Extend it from ``config.py`` (your settings, extra redaction patterns, extra
trusted model types), which the template creates once and never changes.
An edit here is overwritten, or becomes a merge conflict, on the next update.
"""

from .settings import HardenedSettings

__all__ = ["HardenedSettings"]
