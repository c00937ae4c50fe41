"""A real `make install` of a rendered project, and what it must leave behind.

The lifecycle tests install each profile this way; the default profile's
install is shared (conftest.default_project) with the gate tests, so every
install is checked the same way wherever it is made.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

import dependency_names
from commands import check, commit_all, package_of, python_path, run_make
from locks import parse_lock
from profiles import answer

# The tests of the shared default project (conftest.default_project): one
# worker runs them all, so the project is installed once.
DEFAULT_PROJECT = pytest.mark.xdist_group("default-project")

# Every installed distribution's files (relative to site-packages) and commands.
INSTALLED_FILES = """
import importlib.metadata as metadata, json
print(json.dumps({
    dist.metadata["Name"]: {
        "files": [str(path) for path in dist.files or []],
        "scripts": [
            e.name for e in dist.entry_points if e.group in ("console_scripts", "gui_scripts")
        ],
    }
    for dist in metadata.distributions()
}))
"""


def install(project: Path, profile: str) -> None:
    """Commit ``project`` as rendered and `make install` it with the profile's Python.

    The venv runs that Python and holds exactly the lock, nothing more
    (hash-checked installs never resolve anew); every module and command in it
    is a refused package name; the first install wrote a private `.env`.
    """
    version = str(answer(profile, "python_version"))
    commit_all(project)
    check(run_make(project, "install", f"PYTHON={python_path(version)}"))
    reported = check(
        subprocess.run(
            [
                project / ".venv/bin/python",
                "-c",
                "import sys; print('%d.%d' % sys.version_info[:2])",
            ],
            capture_output=True,
            text=True,
        )
    )
    assert reported.strip() == version

    locks = ["dev.txt", "uv.txt"] if answer(profile, "lock_backend") == "uv" else ["dev.txt"]
    pins = {
        name: pin.version
        for lock in locks
        for name, pin in parse_lock(project / "requirements" / lock).items()
    }
    installed = installed_versions(project)
    package = canonicalize_name(package_of(project))
    assert installed.pop(package) == "0.1.0"
    assert installed == pins
    check_refused_names_cover(project, package)
    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600


def installed_versions(project: Path) -> dict[str, str]:
    listing = check(
        subprocess.run(
            [project / ".venv/bin/python", "-m", "pip", "list", "--format=json"],
            capture_output=True,
            text=True,
        )
    )
    return {canonicalize_name(p["name"]): p["version"] for p in json.loads(listing)}


def check_refused_names_cover(project: Path, package: str) -> None:
    """The names package_name refuses were read from wheels; the venv a real install
    made must hold no module or command outside them (a platform's wheel that
    ships another module would show here)."""
    listing = check(
        subprocess.run(
            [project / ".venv/bin/python", "-c", INSTALLED_FILES], capture_output=True, text=True
        )
    )
    refused = json.loads(dependency_names.DATA.read_text())["refused"]
    for distribution, found in json.loads(listing).items():
        if canonicalize_name(distribution) == package:
            continue
        modules = {
            name
            for path in found["files"]
            if not path.startswith("..") and not path.split("/")[0].endswith(".dist-info")
            for name in dependency_names.import_name(path, nested="/" in path)
        }
        # Entry points, and binaries a wheel ships in its .data/scripts (ruff's).
        scripts = found["scripts"] + [
            path.rsplit("/", 1)[1] for path in found["files"] if re.match(r"(\.\./)+bin/", path)
        ]
        # A project's command is its package name with dashes: a name with a dot
        # (pip3.11, which pip's installer adds) can never be one.
        commands = {s.replace("-", "_") for s in scripts if re.fullmatch(r"[\w-]+", s)}
        missing = sorted(
            name for name in {m.lower() for m in modules} | commands if name not in refused
        )
        assert missing == [], f"{distribution} installs {missing}: run scripts/dependency_names.py"
