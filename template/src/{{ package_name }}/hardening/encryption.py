"""Authenticated encryption of data files at rest, with keys that can rotate.

A file encrypted here is ``HEADER || AES-256-GCM(ciphertext || tag)``. The
header is ``b"HDSENC"``, a format version, the 8-byte id of the key and the
12-byte random nonce. GCM authenticates the header and the file's place (its
path below the project's data folder, given by the caller) along with the
data, so a flipped byte, a truncated file, a file sealed under another key or
one renamed or moved into another file's place is refused before a byte of
plaintext is returned.

Format 1 bound the file's base name only. Its files are refused, except by
:func:`decrypt_format_1`, which the one-off re-seal (``make reseal``) uses to
open a file whose format-1 seal verifies and seal it again in this format.

Keys are 32 random bytes written as URL-safe base64 (``make keygen``). The
key id is an HMAC of the key, so it says which key sealed a file without
saying anything about the key itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"HDSENC"
VERSION = 2
FORMAT_1 = 1  # bound the base name only; opened by the re-seal alone
# What to run once after the update that brought format 2 (models too).
RESEAL = f"`make reseal` (python -m {__name__.split('.', 1)[0]} reseal)"
KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = len(MAGIC) + 1 + KEY_ID_BYTES + NONCE_BYTES


class DecryptionError(RuntimeError):
    """An encrypted file cannot be opened. The message names the file, never its content."""


def parse_key(text: str) -> bytes:
    """Decode a key written by :func:`new_key`; raise ``ValueError`` without quoting it."""
    try:
        key = base64.b64decode(text.strip().encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError(
            f"must be {KEY_BYTES} random bytes in URL-safe base64 (`make keygen` writes one)"
        )
    return key


def key_spellings(text: str) -> list[str]:
    """Other ways the same key may be written, for the log redaction filter."""
    try:
        raw = parse_key(text)
    except ValueError:
        return []
    urlsafe = base64.urlsafe_b64encode(raw).decode("ascii")
    standard = base64.b64encode(raw).decode("ascii")
    spellings = [urlsafe, standard, urlsafe.rstrip("="), standard.rstrip("="), raw.hex()]
    # The settings hand out keys as bytes: %r, str() and a container's repr
    # show them between b'...' with Python's escapes.
    return [*spellings, raw.hex().upper(), repr(raw)[2:-1]]


def new_key() -> str:
    """A fresh random key, as written in ``.env``."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def key_id(key: bytes) -> bytes:
    """Which key sealed a file, without revealing the key."""
    return hmac.new(key, b"data-encryption-key-id", hashlib.sha256).digest()[:KEY_ID_BYTES]


@dataclass(frozen=True, repr=False)
class DataKeys:
    """The current key (``None``: encryption off) and the previous ones still readable."""

    current: bytes | None = None
    previous: tuple[bytes, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.current is not None

    def readable(self) -> dict[bytes, bytes]:
        """Every key a file may have been sealed with, by key id."""
        keys = [self.current, *self.previous] if self.current else list(self.previous)
        return {key_id(key): key for key in keys}

    def __repr__(self) -> str:  # keys never reach a log line, even by accident
        return f"DataKeys(enabled={self.enabled}, previous={len(self.previous)})"


def is_encrypted(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def encrypt(plaintext: bytes, key: bytes, name: str) -> bytes:
    """Seal ``plaintext`` for the file at ``name`` (its place, such as ``processed/train.csv``)."""
    header = MAGIC + bytes([VERSION]) + key_id(key) + secrets.token_bytes(NONCE_BYTES)
    nonce = header[-NONCE_BYTES:]
    return header + AESGCM(key).encrypt(nonce, plaintext, _associated(header, name))


def version_of(blob: bytes) -> int | None:
    """The format version of an encrypted file, ``None`` if it is none or truncated."""
    if len(blob) < HEADER_BYTES + TAG_BYTES or not is_encrypted(blob):
        return None
    return blob[len(MAGIC)]


def decrypt(blob: bytes, keys: DataKeys, name: str, label: str) -> bytes:
    """Open a file sealed by :func:`encrypt` for ``name``; ``label`` names it in errors."""
    version = version_of(blob)
    if version is None:
        raise DecryptionError(f"{label}: not an encrypted data file, or truncated")
    if version == FORMAT_1:
        raise DecryptionError(
            f"{label}: sealed in format 1, which binds the file's name but not its folder; "
            f"run {RESEAL} once to seal the data files in format {VERSION}"
        )
    if version != VERSION:
        raise DecryptionError(f"{label}: encrypted in format {version}, not {VERSION}")
    return _open(blob, keys, name, label)


def decrypt_format_1(blob: bytes, keys: DataKeys, base_name: str, label: str) -> bytes:
    """Open a format-1 file, whose seal covers its base name only: for the re-seal alone."""
    if version_of(blob) != FORMAT_1:
        raise DecryptionError(f"{label}: not a data file sealed in format 1, or truncated")
    return _open(blob, keys, base_name, label)


def _open(blob: bytes, keys: DataKeys, name: str, label: str) -> bytes:
    header = blob[:HEADER_BYTES]
    key = keys.readable().get(header[len(MAGIC) + 1 : len(MAGIC) + 1 + KEY_ID_BYTES])
    if key is None:
        raise DecryptionError(
            f"{label}: encrypted with a key that is neither DATA_ENCRYPTION_KEY "
            "nor one of DATA_ENCRYPTION_PREVIOUS_KEYS"
        )
    try:
        return AESGCM(key).decrypt(
            header[-NONCE_BYTES:], blob[HEADER_BYTES:], _associated(header, name)
        )
    except InvalidTag:
        raise DecryptionError(
            f"{label}: altered, truncated, renamed or moved since it was encrypted; refusing it"
        ) from None


def _associated(header: bytes, name: str) -> bytes:
    # The header is fixed-length, so header + name reads back one way only.
    # The name binds a file to its place: processed/train.csv cannot stand in
    # for processed/test.csv, nor for interim/train.csv. The header carries the
    # version, so a file cannot be presented as another format either.
    return header + name.encode("utf-8")


def write_atomically(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content``: a crash leaves the old file or the new, whole.

    The temporary file lies in the same folder (so the rename cannot cross
    file systems) and is created with mode 0600.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def parse_keys(current: str | None, previous: str | None) -> DataKeys:
    """Build :class:`DataKeys` from the two settings (previous keys comma-separated)."""
    older: Sequence[str] = [part for part in (previous or "").split(",") if part.strip()]
    return DataKeys(
        current=parse_key(current) if current else None,
        previous=tuple(parse_key(part) for part in older),
    )
