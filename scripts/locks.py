"""Read pip-compile lock files with the generated project's own lock reader.

``template/tools/check_lock_hashes.py`` decides what a lock may hold (exact
pins with sha256 hashes, read the way pip reads them); the template's tests
use the same reader, so the shipped locks meet the rule projects enforce.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import NamedTuple

from packaging.requirements import Requirement

TOOL = Path(__file__).resolve().parent.parent / "template" / "tools" / "check_lock_hashes.py"
_spec = importlib.util.spec_from_file_location("check_lock_hashes", TOOL)
assert _spec is not None
assert _spec.loader is not None
check_lock_hashes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_lock_hashes)


class Pin(NamedTuple):
    version: str
    hashes: frozenset[str]


def parse_lock(path: Path) -> dict[str, Pin]:
    """Return {canonical name: Pin}; raise ValueError on anything but hashed == pins."""
    try:
        entries = check_lock_hashes.read_lock(path)
    except check_lock_hashes.LockError as error:
        raise ValueError(str(error)) from None
    return {entry.name: Pin(entry.version, entry.hashes) for entry in entries}


def entries(text: str) -> list[str]:
    """Join backslash-continued lines and drop comments: one string per entry."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (line.split(" #", 1)[0].strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def requirements_in(path: Path) -> list[Requirement]:
    """Requirements of a .in file, following ``-r`` includes; ``-c`` is ignored."""
    found: list[Requirement] = []
    for entry in entries(path.read_text()):
        if entry.startswith("-r "):
            found += requirements_in(path.parent / entry[3:].strip())
        elif not entry.startswith("-"):
            found.append(Requirement(entry))
    return found
