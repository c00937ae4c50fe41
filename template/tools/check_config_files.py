"""Refuse tracked settings files the gates do not read, and anything under .venv.

Kept up to date by the template (`copier update` replaces this file).

Every gate names the settings it reads (pyproject.toml, see the Makefile),
but its tool would also read a settings file found elsewhere: ruff the
nearest ruff.toml, .ruff.toml or pyproject.toml of each file; mypy a
mypy.ini or .mypy.ini before pyproject.toml; pytest a pytest.ini or
.pytest.ini first, tox.ini and setup.cfg after; bandit a .bandit in a
folder it scans; coverage a .coveragerc; pip a pip.conf (pip.ini) in the
venv; uv a uv.toml; pip-compile a .pip-tools.toml; lint-imports an
.importlinter or setup.cfg before pyproject.toml. A commit that adds one
could switch a check off for the code beside it, or choose the index pip
installs from, so git may track none of them, nor a second copy of the
project's own settings below the top, nor anything under .venv (pip, uv and
Python read it: pip.conf, pyvenv.cfg, *.pth), nor a sitecustomize.py or
usercustomize.py anywhere: `make install` puts src/ on the path of every tool
in .venv, and Python runs such a module first in each of them. Case is
ignored, as macOS and Windows ignore it when they open a file. Settings
written as comments are refused the same way: mypy's `# mypy:` lines and a
bare type-ignore line (the whole module's waiver), and ruff's or flake8's
file-wide noqa, in any tracked module or notebook; and a folder or module at
the top named as the package, which lint-imports would read instead of src/.
It runs with
`python -I -S`, so nothing it checks for can run in it first.

    python tools/check_config_files.py                 # make audit-config, make lint, pre-commit
    python tools/check_config_files.py --venv .venv    # make install, make lock-check

Standard library only: it runs before the venv exists.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

# A tracked venv lists thousands of files: the first ones name the problem.
# Every settings file is named.
SHOWN = 20
# Read by a tool wherever they lie.
ANYWHERE = [
    "ruff.toml",
    ".ruff.toml",
    "mypy.ini",
    ".mypy.ini",
    "pytest.ini",
    ".pytest.ini",
    "tox.ini",
    "setup.cfg",
    ".bandit",
    ".coveragerc",
    "pip.conf",
    "pip.ini",
    "uv.toml",
    ".pip-tools.toml",
    ".importlinter",
    # Python runs these at the start of every process that finds them: the
    # editable install puts src/ on the path of every tool in .venv.
    "sitecustomize.py",
    "usercustomize.py",
    "*.pth",
]
# The project's own, at the top only.
BELOW_THE_TOP = [
    "pyproject.toml",
    ".pre-commit-config.yaml",
    ".hadolint.yaml",
    ".hadolint.yml",
    ".secrets.baseline",
]

# Settings written in a module's own comments: mypy's inline configuration
# (ignore-errors, disable-error-code) or a bare type-ignore line at the top
# switch mypy off for the whole module, and a file-wide noqa of ruff or flake8
# switches ruff off for it. A waiver belongs at the end of the line it waives,
# naming its code (mypy and ruff check that).
INLINE_SETTINGS = re.compile(
    rb"^[ \t]*#[ \t]*(?:mypy[ \t]*:|type[ \t]*:[ \t]*ignore|(?:ruff|flake8)[ \t]*:[ \t]*noqa)",
    re.IGNORECASE | re.MULTILINE,
)
# In a notebook's JSON, a line of a code cell begins after its opening quote.
INLINE_IN_NOTEBOOK = re.compile(
    rb'"[ \t]*#[ \t]*(?:mypy[ \t]*:|type[ \t]*:[ \t]*ignore|(?:ruff|flake8)[ \t]*:[ \t]*noqa)',
    re.IGNORECASE,
)


def inline_settings() -> list[str]:
    """Tracked Python files and notebooks whose comments set a gate's tool."""
    found = []
    sources = [":(glob,icase)**/*.py", ":(glob,icase)**/*.pyi", ":(glob,icase)**/*.ipynb"]
    for path in tracked(sources):
        try:
            text = Path(path).read_bytes()
        except OSError:
            continue  # deleted but still staged: git's copy is what a commit holds
        pattern = INLINE_IN_NOTEBOOK if path.lower().endswith(".ipynb") else INLINE_SETTINGS
        if pattern.search(text):
            found.append(path)
    return found


def shadowing_packages() -> list[str]:
    """A tracked folder or module at the top named as the package: lint-imports
    (and python -m from the top) would import it instead of src/."""
    try:
        settings = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    roots = settings.get("tool", {}).get("importlinter", {}).get("root_packages", [])
    names = [name for name in roots if isinstance(name, str) and name != "tools"]
    pathspecs = [f":(literal,icase){name}" for name in names]
    pathspecs += [f":(literal,icase){name}.py" for name in names]
    return tracked(pathspecs) if pathspecs else []


def venv_pathspecs(venvs: list[str]) -> list[str]:
    """.venv and every other venv folder inside the project, the folder and all under it."""
    inside = [v.rstrip("/") for v in venvs if not v.startswith(("/", "../")) and v.strip("/.")]
    return [f":(literal,icase){venv}" for venv in dict.fromkeys([".venv", *inside])]


def tracked(pathspecs: list[str]) -> list[str]:
    """The files git tracks or has staged that match. It runs at the top of the
    project: without .git there (a copy outside git) nothing is tracked; any
    other failure of git fails the check."""
    if not Path(".git").exists():
        return []
    command = ["git", "ls-files", "-z", "--", *pathspecs]
    listed = subprocess.run(command, capture_output=True, check=True).stdout  # noqa: S603
    return [os.fsdecode(path) for path in listed.split(b"\0") if path]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--venv",
        action="append",
        default=[],
        metavar="DIR",
        help="check only that nothing under .venv and DIR is tracked",
    )
    args = parser.parse_args(argv)
    problems: list[tuple[str, list[str]]] = []
    found = tracked(venv_pathspecs(args.venv))
    if found:
        venv = "git tracks files under .venv, which pip, uv or Python would read"
        more = [f"and {len(found) - SHOWN} more"] if len(found) > SHOWN else []
        problems.append((venv, found[:SHOWN] + more))
    if not args.venv:
        settings = [f":(glob,icase)**/{name}" for name in ANYWHERE]
        settings += [f":(glob,icase)*/**/{name}" for name in BELOW_THE_TOP]
        found = [path for path in tracked(settings) if not path.lower().startswith(".venv/")]
        if found:
            problems.append(
                (
                    "git tracks settings files that a gate's tool could read instead of "
                    "pyproject.toml",
                    found,
                )
            )
        found = inline_settings()
        if found:
            problems.append(
                (
                    "comments set mypy or ruff for a whole file (# mypy:, a # type: ignore "
                    "line, # ruff: noqa); waive a line at its end, naming the code",
                    found,
                )
            )
        found = shadowing_packages()
        if found:
            problems.append(("a folder or module at the top is named as the package", found))
    for what, paths in problems:
        print(f"error: {what}:", file=sys.stderr)
        for path in paths:
            print(f"  {path}", file=sys.stderr)
    if problems:
        print(
            "Untrack them (git rm -r --cached PATH) and commit; the project's settings "
            "belong in pyproject.toml.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except subprocess.CalledProcessError as error:  # git's own message says why
        sys.exit(f"error: git ls-files failed: {os.fsdecode(error.stderr).strip()}")
