"""Authenticated encryption of data files at rest, with keys that can rotate.

A file encrypted here is ``HEADER || AES-256-GCM(ciphertext || tag)``. The
header is ``b"HDSENC"``, a format version, the 8-byte id of the key and the
12-byte random nonce. GCM authenticates the header and the file's name along
with the data, so a flipped byte, a truncated file, a file sealed under
another key or one renamed into another file's place is refused before a
byte of plaintext is returned.

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
VERSION = 1
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
    return [*spellings, raw.hex().upper()]


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
    """Seal ``plaintext`` for the file called ``name`` under ``key``."""
    header = MAGIC + bytes([VERSION]) + key_id(key) + secrets.token_bytes(NONCE_BYTES)
    nonce = header[-NONCE_BYTES:]
    return header + AESGCM(key).encrypt(nonce, plaintext, _associated(header, name))


def decrypt(blob: bytes, keys: DataKeys, name: str, label: str) -> bytes:
    """Open a file sealed by :func:`encrypt`; ``label`` names it in errors."""
    if len(blob) < HEADER_BYTES + TAG_BYTES or not is_encrypted(blob):
        raise DecryptionError(f"{label}: not an encrypted data file, or truncated")
    if blob[len(MAGIC)] != VERSION:
        raise DecryptionError(f"{label}: encrypted in format {blob[len(MAGIC)]}, not {VERSION}")
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
            f"{label}: altered, truncated or renamed since it was encrypted; refusing it"
        ) from None


def _associated(header: bytes, name: str) -> bytes:
    # The name binds a file to its place: train.csv cannot stand in for test.csv.
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
