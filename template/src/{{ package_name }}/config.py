"""Your project's settings, and how it extends the template's hardening.

The template creates this file once and never changes it (`copier update`
skips it): it is yours. The hardening code in ``hardening/`` reads what you
declare here, so you never need to edit that folder.
"""

from __future__ import annotations

from typing import ClassVar

from .hardening import HardenedSettings


class Settings(HardenedSettings):
    """Every setting: the template's (LOG_LEVEL, LOG_FORMAT, ...) and your own.

    Add a field for each setting of yours, named as its environment variable
    in lower case, and a placeholder line for it in ``.env.example``. Give a
    secret the type ``SecretStr``: its value is then masked in every log line.
    """

    # Regular expressions for text that must never reach a log line, beyond
    # the template's rules; the whole match is masked. Keep each linear-time
    # (no nested repeats): every log line is searched with it.
    redaction_patterns: ClassVar[tuple[str, ...]] = ()

    # Types your saved models hold beyond skops' defaults, by full name
    # ("package.module.Class"). Anything else in a model file is refused.
    trusted_model_types: ClassVar[tuple[str, ...]] = ()
