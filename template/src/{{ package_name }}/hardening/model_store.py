"""Saving and loading models so that a swapped or altered file is refused.

Models are stored with skops, whose format rebuilds objects from an allow-list
of types instead of running pickle's arbitrary code. Next to each model file
lies ``<name>.sha256`` in ``sha256sum`` format (``sha256sum -c`` checks it too);
loading compares the hash of the exact bytes it is about to read, before any of
them are parsed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from pathlib import Path

import skops.io as sio
from sklearn.pipeline import Pipeline


class ModelIntegrityError(RuntimeError):
    """The model file is missing its checksum or does not match it."""


def checksum_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".sha256")


def save_model(model: Pipeline, path: Path) -> str:
    """Write ``model`` to ``path`` with its SHA-256 beside it; return the digest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = sio.dumps(model)
    digest = hashlib.sha256(payload).hexdigest()
    path.write_bytes(payload)
    checksum_path(path).write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    return digest


def recorded_digest(model_path: Path) -> str:
    """Return the digest recorded for ``model_path``, or raise if there is none."""
    manifest = checksum_path(model_path)
    if not manifest.is_file():
        raise ModelIntegrityError(
            f"{model_path.name}: no checksum file {manifest.name}; refusing an unknown model"
        )
    fields = manifest.read_text(encoding="utf-8").split()
    if len(fields) != 2 or fields[1] != model_path.name or len(fields[0]) != 64:
        raise ModelIntegrityError(f"{manifest.name}: not a sha256sum line for {model_path.name}")
    return fields[0]


def load_model(path: Path, trusted: Sequence[str] = ()) -> Pipeline:
    """Load a model saved by :func:`save_model`, after checking its SHA-256.

    ``trusted`` names the types beyond skops' defaults the model may hold
    (``Settings.trusted_model_types``); anything else in the file is refused.
    """
    expected = recorded_digest(path)
    payload = path.read_bytes()
    actual = hashlib.sha256(payload).hexdigest()
    if not hmac.compare_digest(actual, expected):
        raise ModelIntegrityError(
            f"{path.name}: SHA-256 {actual} does not match the recorded {expected}; "
            "the file was altered or replaced"
        )
    return sio.loads(payload, trusted=list(trusted))
