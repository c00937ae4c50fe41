"""Saving and loading models so that a swapped or altered file is refused.

Models are stored with skops, whose format rebuilds objects from an allow-list
of types instead of running pickle's arbitrary code. Beside each model file
lies one of two side files, checked against the exact bytes about to be read,
before any of them are parsed:

- with ``MODEL_SIGNING_KEY`` set, ``<name>.hmac``: an HMAC-SHA256 under that
  key of the format label, the model's place (its path below the project's
  models folder, such as ``model.skops`` or ``candidates/model.skops``) and
  its bytes. Only someone holding the key can make a pair that passes, so a
  model and side file copied from another project, written by anyone who can
  write to ``models/`` but cannot read the key, or signed by this project as
  another model and renamed or moved into this one's place, is refused.
  With a key set, a model that is not signed is refused too. An older model
  signed for the same place is not told apart (the ``runs`` table records
  each run's model SHA-256).
- without a key, ``<name>.sha256`` in ``sha256sum`` format (``sha256sum -c``
  checks it too). It catches a damaged or half-replaced file; anyone who can
  replace the model can replace its checksum as well.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import skops.io as sio
from sklearn.pipeline import Pipeline

from .encryption import RESEAL, write_atomically

# The side file's first field. The signed message starts with it, so a
# signature made for one format is refused when presented as another.
HMAC_FORMAT = "hmac-sha256-v2"
# Format 1 signed the model's bytes alone; only the re-seal reads it.
FORMAT_1 = "hmac-sha256"
MODELS_FOLDER = "models"
# Types every model may hold beyond skops' defaults. skops rebuilds a dtype
# from an empty array it reads without pickle (SimpleImputer keeps one); it
# trusts the name wherever it stands, so load_model also checks that every
# dtype of the file is stored that way (_check_dtypes).
TRUSTED_TYPES = ("numpy.dtype",)
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ModelIntegrityError(RuntimeError):
    """The model file is missing its side file or does not match it."""


def checksum_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".sha256")


def signature_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".hmac")


def key_id(key: bytes) -> str:
    """Which key signed a model, without revealing the key."""
    return hmac.new(key, b"model-signing-key-id", hashlib.sha256).hexdigest()[:16]


def signed_name(path: Path) -> str:
    """The place a model is signed for: its path below the nearest folder named ``models``."""
    absolute = Path(os.path.abspath(path))  # as named: a symlinked folder is not followed
    for folder in absolute.parents:
        if folder.name == MODELS_FOLDER:
            return absolute.relative_to(folder).as_posix()
    raise ModelIntegrityError(
        f"{path.name}: not under a folder named {MODELS_FOLDER}/; a signed model is "
        f"signed for its path below the project's {MODELS_FOLDER}/ folder"
    )


def sign(payload: bytes, key: bytes, name: str) -> str:
    """The HMAC of the format, the model's place ``name`` and its bytes."""
    # NUL cannot occur in a path, and the label is fixed: one way to read it back.
    message = b"\0".join([HMAC_FORMAT.encode(), name.encode("utf-8"), payload])
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _sign_format_1(payload: bytes, key: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def save_model(model: Pipeline, path: Path, signing_key: bytes | None = None) -> str:
    """Write ``model`` with its side file (signed with a key); return its SHA-256."""
    payload = sio.dumps(model)
    digest = hashlib.sha256(payload).hexdigest()
    # Known before anything is written: a model outside models/ writes nothing.
    line = _signature_line(path, payload, signing_key) if signing_key is not None else ""
    # The model first: a crash between the two leaves a pair that fails to load.
    write_atomically(path, payload)
    if signing_key is not None:
        write_atomically(signature_path(path), line.encode("utf-8"))
        checksum_path(path).unlink(missing_ok=True)
    else:
        write_atomically(checksum_path(path), f"{digest}  {path.name}\n".encode())
        signature_path(path).unlink(missing_ok=True)
    return digest


def _signature_line(path: Path, payload: bytes, key: bytes) -> str:
    return f"{HMAC_FORMAT} {key_id(key)} {sign(payload, key, signed_name(path))}  {path.name}\n"


def recorded_digest(model_path: Path) -> str:
    """Return the SHA-256 recorded for ``model_path``, or raise if there is none."""
    manifest = checksum_path(model_path)
    if not manifest.is_file():
        if signature_path(model_path).is_file():
            raise ModelIntegrityError(
                f"{model_path.name}: signed, and MODEL_SIGNING_KEY is not set; "
                "set it to load this model"
            )
        raise ModelIntegrityError(
            f"{model_path.name}: no checksum file {manifest.name}; refusing an unknown model"
        )
    fields = _side_file_fields(manifest)
    if len(fields) != 2 or fields[1] != model_path.name or not _SHA256.fullmatch(fields[0]):
        raise ModelIntegrityError(f"{manifest.name}: not a sha256sum line for {model_path.name}")
    return fields[0]


def _side_file_fields(side: Path) -> list[str]:
    """The whitespace-separated fields of a side file, which must be UTF-8 text."""
    try:
        return side.read_bytes().decode("utf-8").split()
    except UnicodeDecodeError:
        raise ModelIntegrityError(f"{side.name}: not a text file") from None


def _check_signature(path: Path, payload: bytes, key: bytes, *, format_1: bool = False) -> None:
    side = signature_path(path)
    if not side.is_file():
        raise ModelIntegrityError(
            f"{path.name}: not signed ({side.name} is missing) while MODEL_SIGNING_KEY is "
            "set; refusing a model that anyone could have written"
        )
    fields = _side_file_fields(side)
    if len(fields) == 4 and fields[0] == FORMAT_1 and fields[3] == path.name and not format_1:
        raise ModelIntegrityError(
            f"{path.name}: signed in the old format ({FORMAT_1}), whose signature does not "
            f"cover the model's name; run {RESEAL} once to sign it in format {HMAC_FORMAT}"
        )
    label = FORMAT_1 if format_1 and fields[:1] == [FORMAT_1] else HMAC_FORMAT
    if len(fields) != 4 or fields[0] != label or fields[3] != path.name:
        raise ModelIntegrityError(f"{side.name}: not a signature line for {path.name}")
    # Compared as bytes: compare_digest refuses str with non-ASCII characters.
    if not hmac.compare_digest(fields[1].encode(), key_id(key).encode()):
        raise ModelIntegrityError(
            f"{path.name}: signed with another key than MODEL_SIGNING_KEY; refusing it"
        )
    if label == FORMAT_1:
        expected = _sign_format_1(payload, key)
    else:
        expected = sign(payload, key, signed_name(path))
    if not hmac.compare_digest(expected.encode(), fields[2].encode()):
        raise ModelIntegrityError(
            f"{path.name}: its signature does not match; the file was altered, replaced, "
            "or signed as another model"
        )


def resign(folder: Path, key: bytes | None) -> list[Path]:
    """Sign every signed model under ``folder`` again, in this format; return the models.

    The one-off upgrade from format 1, which signed a model's bytes alone: a
    format-1 signature is taken only if it verifies (so the bytes are the ones
    signed), then the model is signed for its place. Every model is checked
    before any side file is replaced, so one that fails changes nothing.
    """
    sides = sorted(folder.rglob("*.hmac"))
    models = [side.with_name(side.name.removesuffix(".hmac")) for side in sides]
    if key is None:
        if models:
            raise ModelIntegrityError(
                f"{models[0].name}: signed, and MODEL_SIGNING_KEY is not set; set it to re-sign"
            )
        return []
    checked = []
    for model in models:
        payload = model.read_bytes()
        _check_signature(model, payload, key, format_1=True)
        checked.append((model, payload))
    for model, payload in checked:
        write_atomically(signature_path(model), _signature_line(model, payload, key).encode())
    return models


def verified_bytes(path: Path, signing_key: bytes | None = None) -> bytes:
    """The model file's bytes, once they match their signature (or checksum)."""
    if signing_key is not None:
        payload = path.read_bytes()
        _check_signature(path, payload, signing_key)
        return payload
    expected = recorded_digest(path)
    payload = path.read_bytes()
    actual = hashlib.sha256(payload).hexdigest()
    if not hmac.compare_digest(actual.encode(), expected.encode()):
        raise ModelIntegrityError(
            f"{path.name}: SHA-256 {actual} does not match the recorded {expected}; "
            "the file was altered or replaced"
        )
    return payload


def load_model(
    path: Path, trusted: Sequence[str] = (), signing_key: bytes | None = None
) -> Pipeline:
    """Load a model saved by :func:`save_model`, after checking its side file.

    ``trusted`` names the types beyond skops' defaults the model may hold
    (``Settings.trusted_model_types``); anything else in the file is refused.
    """
    return load_model_and_digest(path, trusted, signing_key)[0]


def load_model_and_digest(
    path: Path, trusted: Sequence[str] = (), signing_key: bytes | None = None
) -> tuple[Pipeline, str]:
    """:func:`load_model`, and the SHA-256 of exactly the bytes it verified and loaded."""
    payload = verified_bytes(path, signing_key)
    _check_dtypes(path, payload)
    model = sio.loads(payload, trusted=[*TRUSTED_TYPES, *trusted])
    return model, hashlib.sha256(payload).hexdigest()


def _check_dtypes(path: Path, payload: bytes) -> None:
    """Refuse a numpy dtype that the file builds other than from an empty array:
    any other loader would call numpy.dtype with the file's arguments and state
    (an object field its flags deny, which numpy then reads from raw bytes)."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise ModelIntegrityError(f"{path.name}: not a skops file") from None
    if any(not _stored_as_an_array(node) for node in _dtype_nodes(schema)):
        raise ModelIntegrityError(
            f"{path.name}: a numpy dtype is not stored as skops stores one; refused"
        )


def _dtype_nodes(node: Any) -> list[dict[str, Any]]:
    found = []
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            if current.get("__module__") == "numpy" and current.get("__class__") == "dtype":
                found.append(current)
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return found


def _stored_as_an_array(node: dict[str, Any]) -> bool:
    """An empty array's dtype: read by numpy without pickle, or for the object
    dtype an empty JSON list (skops's form for arrays of Python objects)."""
    content = node.get("content")
    if not (
        node.get("__loader__") == "DTypeNode"
        and set(node) <= {"__class__", "__module__", "__loader__", "__id__", "content"}
        and isinstance(content, dict)
        and content.get("__loader__") == "NdArrayNode"
    ):
        return False
    return content.get("type") == "numpy" or (
        content.get("type") == "json" and content.get("content") == []
    )
