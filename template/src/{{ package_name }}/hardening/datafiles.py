"""Data files the pipeline writes and reads: encrypted whenever a key is set.

With ``DATA_ENCRYPTION_KEY`` set, ``write_frame(frame, .../train.csv)`` writes
``train.csv.enc`` and removes a plaintext ``train.csv`` left by an earlier
run; ``read_frame`` reads only the encrypted file and refuses a plaintext one
(anyone could have put it there). Without a key, files are plain CSV, and an
encrypted file already there is never replaced by a plaintext one.
The CSV text is built and parsed in memory, so plaintext never touches disk.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from .encryption import (
    HEADER_BYTES,
    KEY_ID_BYTES,
    MAGIC,
    DataKeys,
    DecryptionError,
    decrypt,
    encrypt,
    write_atomically,
)

SUFFIX = ".enc"


def encrypted_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def plain_name(path: Path) -> str:
    """The name a file was sealed under: its own, without ``.enc``."""
    return path.name.removesuffix(SUFFIX)


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
        content = encrypt(content, keys.current, path.name)
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
        return decrypt(sealed.read_bytes(), keys, plain_name(sealed), str(sealed))
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

    Each file is opened with whichever known key sealed it and replaced
    atomically; a file that cannot be opened stops the rotation with the
    files before it already done (running it again finishes the job).
    """
    if keys.current is None:
        raise DecryptionError("DATA_ENCRYPTION_KEY is not set: there is no key to rotate to")
    rotated = []
    for folder in folders:
        for sealed in sorted(folder.rglob(f"*{SUFFIX}")):
            name = plain_name(sealed)
            plaintext = decrypt(sealed.read_bytes(), keys, name, str(sealed))
            write_atomically(sealed, encrypt(plaintext, keys.current, name))
            rotated.append(sealed)
    return rotated
