"""The command line's hardening commands: decrypt, verify-model, rotate-keys, reseal.

``__main__.py`` (the project's) adds these to its own subcommands with
:func:`add_commands`. Each returns an exit code; a failure raises, and
``cli.run_command_line`` ends it with one line that names the file, never
its content.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from .datafiles import read_bytes, reseal, rotate
from .model_store import resign, verified_bytes
from .settings import HardenedSettings

log = logging.getLogger(__name__)


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    decrypt = commands.add_parser(
        "decrypt", help="write one data file's plaintext to standard output"
    )
    decrypt.add_argument("file", type=Path, help="a data file (with or without .enc)")
    decrypt.set_defaults(handler=decrypt_command, failure="Cannot decrypt")

    verify = commands.add_parser(
        "verify-model", help="exit 0 only if a model file passes its integrity check"
    )
    verify.add_argument("file", type=Path, help="a model file, such as models/model.skops")
    verify.set_defaults(handler=verify_model_command, failure="Model refused")

    rotate_keys = commands.add_parser(
        "rotate-keys",
        help="re-encrypt every data file under DATA_ENCRYPTION_KEY (`make rotate-keys`)",
    )
    rotate_keys.set_defaults(handler=rotate_keys_command, failure="Rotation stopped")

    reseal_files = commands.add_parser(
        "reseal",
        help="seal data files and sign models in the current format, once after an "
        "update that changed it (`make reseal`); old files are taken only if they verify",
    )
    reseal_files.set_defaults(handler=reseal_command, failure="Re-seal stopped")


def decrypt_command(args: argparse.Namespace, settings: HardenedSettings) -> int:
    plaintext = read_bytes(args.file, settings.data_keys())
    sys.stdout.buffer.write(plaintext)
    sys.stdout.buffer.flush()
    return 0


def verify_model_command(args: argparse.Namespace, settings: HardenedSettings) -> int:
    verified_bytes(args.file, settings.signing_key())
    how = "signature" if settings.signing_key() else "SHA-256 checksum"
    log.info("%s: matches its %s", args.file, how)
    return 0


def rotate_keys_command(args: argparse.Namespace, settings: HardenedSettings) -> int:
    rotated = rotate(args.paths.data_folders, settings.data_keys())
    log.info(
        "Re-encrypted %d data files under DATA_ENCRYPTION_KEY; "
        "DATA_ENCRYPTION_PREVIOUS_KEYS can now be emptied",
        len(rotated),
    )
    return 0


def reseal_command(args: argparse.Namespace, settings: HardenedSettings) -> int:
    # Each checks all its files before it replaces any; run again after a fix.
    sealed = reseal(args.paths.data_folders, settings.data_keys())
    models = args.paths.models
    signed = resign(models, settings.signing_key()) if models.is_dir() else []
    log.info(
        "Sealed %d data files and signed %d models in the current format",
        len(sealed),
        len(signed),
    )
    return 0
