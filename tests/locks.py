"""Read pip-compile lock files: pins, hashes and what else a line may carry."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)(?P<marker>\s*;[^\\]*)?"
)
HASH = re.compile(r"--hash=sha256:(?P<digest>[0-9a-f]{64})\b")


class Pin(NamedTuple):
    version: str
    hashes: frozenset[str]


def entries(text: str) -> list[str]:
    """Join backslash-continued lines and drop comments: one string per entry."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (line.split(" #", 1)[0].strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def parse_lock(path: Path) -> dict[str, Pin]:
    """Return {canonical name: Pin}; raise on anything but hashed == pins."""
    pins: dict[str, Pin] = {}
    for entry in entries(path.read_text()):
        match = PIN.match(entry)
        if match is None:
            raise ValueError(f"{path.name}: not an exact pin: {entry[:80]!r}")
        hashes = frozenset(HASH.findall(entry))
        if not hashes:
            raise ValueError(f"{path.name}: {match['name']} has no sha256 hash")
        rest = HASH.sub("", entry[match.end() :]).strip()
        if rest:
            raise ValueError(f"{path.name}: unexpected option on {match['name']}: {rest!r}")
        pins[canonicalize_name(match["name"])] = Pin(match["version"], hashes)
    return pins


def requirements_in(path: Path) -> list[Requirement]:
    """Requirements of a .in file, following ``-r`` includes; ``-c`` is ignored."""
    found: list[Requirement] = []
    for entry in entries(path.read_text()):
        if entry.startswith("-r "):
            found += requirements_in(path.parent / entry[3:].strip())
        elif not entry.startswith("-"):
            found.append(Requirement(entry))
    return found
