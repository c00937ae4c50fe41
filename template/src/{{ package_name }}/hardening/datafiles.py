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

from .encryption import DataKeys, DecryptionError, decrypt, encrypt, write_atomically

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
        content = encrypt(content, keys.current, path.name)
    else:
        target, stale = path, encrypted_path(path)
        if stale.exists():
            # A key that went missing (a typo in .env) must not turn encryption
            # off quietly, replacing encrypted files with plaintext ones.
            raise DecryptionError(
                f"{stale}: encrypted, and DATA_ENCRYPTION_KEY is not set; set it (check .env "
                "for a typo), or delete the encrypted files to go back to plaintext"
            )
    write_atomically(target, content)
    # The other form is an earlier run's: a reader must never pick it up.
    stale.unlink(missing_ok=True)
    return target


def read_bytes(path: Path, keys: DataKeys) -> bytes:
    """The plaintext of the data file ``path`` (given with or without ``.enc``)."""
    sealed = path if path.name.endswith(SUFFIX) else encrypted_path(path)
    if sealed.is_file() and (keys.enabled or sealed == path or not path.is_file()):
        if not keys.readable():
            raise DecryptionError(f"{sealed}: encrypted, and DATA_ENCRYPTION_KEY is not set")
        return decrypt(sealed.read_bytes(), keys, plain_name(sealed), str(sealed))
    if keys.enabled and path.is_file():
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
