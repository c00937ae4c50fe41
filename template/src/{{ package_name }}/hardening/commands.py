"""The hardening's commands: runs, decrypt, verify-model, rotate-keys, reseal.

``__main__.py`` (yours) adds them to its own subcommands with
:func:`add_commands`, and says where the project's folders are with a
function of the parsed arguments (``--root`` is yours to define). Each
returns an exit code; a failure raises, and ``cli.run_command_line`` ends it
with one line that names the file, never its content.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from .database import connect, printable
from .datafiles import read_bytes, reseal, rotate
from .model_store import resign, verified_bytes
from .runs import SORTS, find_runs, id_argument, limit_argument, tag_argument
from .settings import HardenedSettings

log = logging.getLogger(__name__)


class ProjectFolders(Protocol):
    """Where a project keeps what the commands read: ``paths.py``'s ProjectPaths is one.

    Data files are sealed to their path below the nearest folder named
    ``data`` and models signed with theirs below ``models``, so the data
    folders must sit under a ``data/`` folder and the models folder must be
    named ``models``: a file elsewhere is refused when it is written.
    """

    @property
    def data_folders(self) -> list[Path]: ...

    @property
    def models(self) -> Path: ...

    @property
    def database(self) -> Path: ...


Handler = Callable[[argparse.Namespace, HardenedSettings], int]
FolderOf = Callable[[argparse.Namespace], ProjectFolders]


def add_commands(commands: argparse._SubParsersAction[Any], folders: FolderOf) -> None:
    """Add the hardening's commands; ``folders(args)`` gives the folders they work on."""

    def bind(
        command: Callable[[argparse.Namespace, HardenedSettings, ProjectFolders], int],
    ) -> Handler:
        return lambda args, settings: command(args, settings, folders(args))

    runs = commands.add_parser("runs", help="list recorded runs")
    runs.add_argument("--label", help="only the runs with exactly this label")
    runs.add_argument(
        "--tag",
        dest="tags",
        type=tag_argument,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="only the runs with this tag (a number, true or false, else text); repeatable",
    )
    runs.add_argument("--sort", choices=sorted(SORTS), default="newest")
    runs.add_argument("--limit", type=limit_argument, default=20, help="at most this many runs")
    runs.add_argument("--show", type=id_argument, metavar="ID", help="one run in full, as JSON")
    runs.set_defaults(handler=bind(runs_command), failure="Cannot list the runs")

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
    rotate_keys.set_defaults(handler=bind(rotate_keys_command), failure="Rotation stopped")

    reseal_files = commands.add_parser(
        "reseal",
        help="seal data files and sign models in the current format, once after an "
        "update that changed it (`make reseal`); old files are taken only if they verify",
    )
    reseal_files.set_defaults(handler=bind(reseal_command), failure="Re-seal stopped")


def runs_command(
    args: argparse.Namespace, settings: HardenedSettings, folders: ProjectFolders
) -> int:
    engine = connect(settings.database(), folders.database)
    try:
        found = find_runs(
            engine,
            label=args.label,
            tags=dict(args.tags),
            run_id=args.show,
            sort=args.sort,
            limit=args.limit,
        )
    finally:
        engine.dispose()
    if args.show is not None:
        if not found:
            log.error("No run has the id %d", args.show)
            return 1
        # JSON escapes every control character: safe for a terminal.
        print(json.dumps(dataclasses.asdict(found[0]), default=str, indent=2))
        return 0
    for recorded in found:
        fields = (
            str(recorded.id),
            f"{recorded.started_at:%Y-%m-%d %H:%M:%S}",
            " ".join(f"{name} {value:.3f}" for name, value in recorded.metrics.items()),
            f"model {recorded.model_sha256[:12]}",
            # JSON, so 3 and "3" differ as --tag tells them apart.
            " ".join(f"{name}={json.dumps(value)}" for name, value in recorded.tags.items()),
            recorded.label or "",
        )
        # Rows may have been written by other tools: no control characters.
        print("\t".join(printable(field) for field in fields))
    return 0


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


def rotate_keys_command(
    args: argparse.Namespace, settings: HardenedSettings, folders: ProjectFolders
) -> int:
    rotated = rotate(folders.data_folders, settings.data_keys())
    log.info(
        "Re-encrypted %d data files under DATA_ENCRYPTION_KEY; "
        "DATA_ENCRYPTION_PREVIOUS_KEYS can now be emptied",
        len(rotated),
    )
    return 0


def reseal_command(
    args: argparse.Namespace, settings: HardenedSettings, folders: ProjectFolders
) -> int:
    # Each checks all its files before it replaces any; run again after a fix.
    sealed = reseal(folders.data_folders, settings.data_keys())
    models = folders.models
    signed = resign(models, settings.signing_key()) if models.is_dir() else []
    log.info(
        "Sealed %d data files and signed %d models in the current format",
        len(sealed),
        len(signed),
    )
    return 0
