"""Data files the pipeline writes and reads: encrypted whenever a key is set.

With ``DATA_ENCRYPTION_KEY`` set, ``write_frame(frame, .../train.csv)`` writes
``train.csv.enc`` and removes a plaintext ``train.csv`` left by an earlier
run; ``read_frame`` reads only the encrypted file and refuses a plaintext one
(anyone could have put it there). Without a key, files are plain CSV, and an
encrypted file already there is never replaced by a plaintext one.
The CSV text is built and parsed in memory, so plaintext never touches disk.

Each file is sealed to its place: its path below the project's data folder
(the nearest enclosing folder named ``data``), such as ``processed/train.csv``,
as the caller names it (a symlink is not followed). A sealed file copied into
another folder or over another file is refused, while the project itself may
move. An older copy of the same file, sealed with a key still held, is not
told apart: nothing in ``data/`` can say which copy is the latest when an
attacker can write there (see the docs' data path page).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from .encryption import (
    FORMAT_1,
    HEADER_BYTES,
    KEY_ID_BYTES,
    MAGIC,
    DataKeys,
    DecryptionError,
    decrypt,
    decrypt_format_1,
    encrypt,
    version_of,
    write_atomically,
)

SUFFIX = ".enc"
DATA_FOLDER = "data"


def encrypted_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def plain_name(path: Path) -> str:
    """The file's own name without ``.enc``: all that format 1 sealed a file to."""
    return path.name.removesuffix(SUFFIX)


def sealed_name(path: Path) -> str:
    """The place a data file is sealed to: its path below the data folder, without ``.enc``.

    The path is made absolute as named, without following symlinks, so that a
    folder replaced by a link to another folder does not carry that folder's
    files into its place.
    """
    absolute = Path(os.path.abspath(path))
    for folder in absolute.parents:
        if folder.name == DATA_FOLDER:
            return absolute.relative_to(folder).as_posix().removesuffix(SUFFIX)
    raise DecryptionError(
        f"{path}: not under a folder named {DATA_FOLDER}/; an encrypted data file is "
        f"sealed to its path below the project's {DATA_FOLDER}/ folder"
    )


def write_frame(frame: pd.DataFrame, path: Path, keys: DataKeys) -> Path:
    """Write ``frame`` as CSV to ``path`` (``path.enc`` when encrypting); return the file."""
    content = frame.to_csv(index=False).encode("utf-8")
    if keys.current is not None:
        target, stale = encrypted_path(path), path
        if target.is_file() and not opens(target, keys):
            # Sealed under a key no longer held: overwriting it would hide that
            # the key changed until someone needs the old data.
            raise DecryptionError(
                f"{target}: encrypted with a key that is neither DATA_ENCRYPTION_KEY nor one "
                "of DATA_ENCRYPTION_PREVIOUS_KEYS; restore the key, or delete the file"
            )
        content = encrypt(content, keys.current, sealed_name(path))
    else:
        target, stale = path, encrypted_path(path)
        if stale.exists():
            # A key that went missing (a typo in .env) must not turn encryption
            # off quietly, replacing encrypted files with plaintext ones.
            raise _no_key_for(stale)
    write_atomically(target, content)
    # The other form is an earlier run's: a reader must never pick it up.
    stale.unlink(missing_ok=True)
    return target


def opens(sealed: Path, keys: DataKeys) -> bool:
    """Whether one of ``keys`` sealed ``sealed`` (by its header's key id)."""
    with sealed.open("rb") as file:
        header = file.read(HEADER_BYTES)
    return header[len(MAGIC) + 1 : len(MAGIC) + 1 + KEY_ID_BYTES] in keys.readable()


def refuse_downgrade(folders: list[Path], keys: DataKeys) -> None:
    """Stop before a keyless run writes plaintext into a project that holds encrypted data."""
    if keys.readable():
        return
    for folder in folders:
        sealed = next(folder.rglob(f"*{SUFFIX}"), None) if folder.is_dir() else None
        if sealed is not None:
            raise _no_key_for(sealed)


def _no_key_for(sealed: Path) -> DecryptionError:
    return DecryptionError(
        f"{sealed}: encrypted, and DATA_ENCRYPTION_KEY is not set; set it (check .env "
        "for a typo), or delete the encrypted files to go back to plaintext"
    )


def read_bytes(path: Path, keys: DataKeys) -> bytes:
    """The plaintext of the data file ``path`` (given with or without ``.enc``)."""
    sealed = path if path.name.endswith(SUFFIX) else encrypted_path(path)
    # Any key, current or previous, means encryption is in use: plaintext is refused.
    encrypting = bool(keys.readable())
    if sealed.is_file() and (encrypting or sealed == path or not path.is_file()):
        if not encrypting:
            raise DecryptionError(f"{sealed}: encrypted, and DATA_ENCRYPTION_KEY is not set")
        return decrypt(sealed.read_bytes(), keys, sealed_name(sealed), str(sealed))
    if encrypting and path.is_file():
        raise DecryptionError(
            f"{path}: not encrypted, but DATA_ENCRYPTION_KEY is set; only "
            "encrypted data files are read (run the pipeline again to rewrite it)"
        )
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such data file")
    return path.read_bytes()


def read_frame(path: Path, keys: DataKeys) -> pd.DataFrame:
    """Read a frame written by :func:`write_frame`."""
    return pd.read_csv(io.BytesIO(read_bytes(path, keys)))


def rotate(folders: list[Path], keys: DataKeys) -> list[Path]:
    """Re-encrypt every ``*.enc`` file under ``folders`` with the current key.

    Each file is opened with whichever known key sealed it. Every file is
    checked before the first is replaced (each atomically), so a file that
    cannot be opened stops the rotation with nothing changed.
    """
    return _reseal_all(folders, keys, format_1=False)


def reseal(folders: list[Path], keys: DataKeys) -> list[Path]:
    """Seal every ``*.enc`` file under ``folders`` again, in this format and the current key.

    The one-off upgrade from format 1, which bound a file's name only: a
    format-1 file is taken only if its format-1 seal verifies (so it cannot
    have been altered, or renamed, since), then sealed to its place. Files of
    the current format are checked as any read checks them. As with
    :func:`rotate`, every file is checked before any is replaced.
    """
    return _reseal_all(folders, keys, format_1=True)


def _reseal_all(folders: list[Path], keys: DataKeys, *, format_1: bool) -> list[Path]:
    found = [sealed for folder in folders for sealed in sorted(folder.rglob(f"*{SUFFIX}"))]
    if keys.current is None:
        if found or not format_1:  # a re-seal with nothing sealed has nothing to do
            raise DecryptionError("DATA_ENCRYPTION_KEY is not set: there is no key to seal with")
        return []
    # Checked first, written after: a file that fails leaves every file as it was.
    for sealed in found:
        _open_sealed(sealed, keys, format_1=format_1)
    for sealed in found:
        plaintext = _open_sealed(sealed, keys, format_1=format_1)
        write_atomically(sealed, encrypt(plaintext, keys.current, sealed_name(sealed)))
    return found


def _open_sealed(sealed: Path, keys: DataKeys, *, format_1: bool) -> bytes:
    blob = sealed.read_bytes()
    if format_1 and version_of(blob) == FORMAT_1:
        return decrypt_format_1(blob, keys, plain_name(sealed), str(sealed))
    return decrypt(blob, keys, sealed_name(sealed), str(sealed))
