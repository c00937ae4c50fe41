"""Find the Python interpreters the template supports on this machine.

Shared by the tests and the maintenance scripts. pyenv's shims answer
``python3.12`` only when 3.12 is the selected version, so a shim on PATH is
tried first and pyenv's own install folders after it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
DEFAULT_PYTHON = "3.11"


def _runs_as(candidate: str, version: str) -> bool:
    check = f"import sys; sys.exit(sys.version_info[:2] != {tuple(map(int, version.split('.')))})"
    try:
        return (
            subprocess.run([candidate, "-c", check], capture_output=True, timeout=30).returncode
            == 0
        )
    except OSError:
        return False


def find_python(version: str) -> str | None:
    """Return the path of a working ``python<version>``, or None."""
    on_path = shutil.which(f"python{version}")
    if on_path and _runs_as(on_path, version):
        return on_path
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for prefix in sorted(pyenv_root.glob(f"versions/{version}.*"), reverse=True):
        candidate = prefix / "bin" / f"python{version}"
        if candidate.exists() and _runs_as(str(candidate), version):
            return str(candidate)
    return None
