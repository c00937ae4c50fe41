"""Regenerate the lock files the template ships, for every supported Python.

A generated project must be hash-locked from its first commit, so the template
keeps one set of locks per Python version under includes/locks/<version>/:
``base.txt``, ``dev.txt`` and ``dev-notebooks.txt`` (use_notebooks adds tools to
dev.in), and their ``-service`` variants (use_service adds the service's
libraries to base.in and its test tools to dev.in). Each is made by the
generated project's own ``make lock``, run in a freshly rendered project with
pip-compile installed for that Python, so the shipped locks are exactly what a
user's ``make lock`` would write.

``includes/locks/uv.txt`` pins uv itself for ``lock_backend: uv``; uv's wheels
do not depend on the Python version, so one lock serves every Python. It is
made by the ``make lock`` of a rendered uv project, with the template's uv.

    .venv/bin/python scripts/relock.py             # keep pins, add what is new
    .venv/bin/python scripts/relock.py --upgrade   # move every pin to the latest release
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from copier import run_copy

from interpreters import SUPPORTED_PYTHONS, find_python

ROOT = Path(__file__).resolve().parent.parent


LOCKS = ROOT / "includes" / "locks"
TOOLS = ROOT / ".cache" / "relock"


def lock_names(use_notebooks: bool, use_service: bool = False) -> dict[str, str]:
    """Map each lock in a rendered project to its name under includes/locks/<version>/."""
    service = "-service" if use_service else ""
    notebooks = "-notebooks" if use_notebooks else ""
    return {"base.txt": f"base{service}.txt", "dev.txt": f"dev{notebooks}{service}.txt"}


def pip_compile_for(version: str) -> Path:
    """Return pip-compile in a venv of Python ``version``, installing it if needed."""
    tools = TOOLS / version
    pip_compile = tools / "bin" / "pip-compile"
    if not pip_compile.exists():
        python = find_python(version)
        if python is None:
            sys.exit(f"error: Python {version} is not installed; every supported version is needed")
        subprocess.run([python, "-m", "venv", "--clear", str(tools)], check=True)
        subprocess.run(
            [
                tools / "bin" / "python",
                "-m",
                "pip",
                "install",
                "--quiet",
                "--require-hashes",
                "--requirement",
                ROOT / "requirements" / "relock.txt",
            ],
            check=True,
        )
    return pip_compile


def relock(version: str, use_notebooks: bool, use_service: bool, upgrade: bool) -> None:
    target = LOCKS / version
    target.mkdir(parents=True, exist_ok=True)
    names = lock_names(use_notebooks, use_service)
    for name in names.values():
        (target / name).touch()  # the template includes them; they must exist to render
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        run_copy(
            str(ROOT),
            project,
            data={
                "project_name": "Lock Example",
                "python_version": version,
                "use_notebooks": use_notebooks,
                "use_service": use_service,
            },
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
        )
        command = ["make", "--no-print-directory", "lock", f"LOCK_TOOL={pip_compile_for(version)}"]
        if upgrade:
            command.append("UPGRADE=1")
        subprocess.run(command, cwd=project, check=True)
        for rendered, kept in names.items():
            shutil.copyfile(project / "requirements" / rendered, target / kept)
    print(
        f"locked Python {version}, notebooks={'on' if use_notebooks else 'off'}, "
        f"service={'on' if use_service else 'off'}"
    )


def relock_uv(upgrade: bool) -> None:
    target = LOCKS / "uv.txt"
    target.touch()  # the template includes it; it must exist to render
    version = SUPPORTED_PYTHONS[0]
    python = find_python(version)
    if python is None:
        sys.exit(f"error: Python {version} is not installed; every supported version is needed")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        run_copy(
            str(ROOT),
            project,
            data={"project_name": "Lock Example", "python_version": version, "lock_backend": "uv"},
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
        )
        uv = Path(sys.executable).with_name("uv")
        # The project has no .venv: its hash check runs on the relock venv's Python.
        checker = pip_compile_for(version).with_name("python")
        command = [
            "make",
            "--no-print-directory",
            "lock",
            f"UV={uv}",
            f"PYTHON={python}",
            f"CHECK_HASHES={checker} tools/check_lock_hashes.py",
        ]
        if upgrade:
            command.append("UPGRADE=1")
        subprocess.run(command, cwd=project, check=True)
        shutil.copyfile(project / "requirements" / "uv.txt", target)
    print("locked uv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="upgrade every pin")
    parser.add_argument(
        "--python",
        action="append",
        choices=SUPPORTED_PYTHONS,
        help="only this Python version (repeatable)",
    )
    args = parser.parse_args()
    for version in args.python or SUPPORTED_PYTHONS:
        # The service's locks after the others: they keep the pins those chose.
        for use_service in (False, True):
            for use_notebooks in (False, True):
                relock(version, use_notebooks, use_service, args.upgrade)
    if not args.python:
        relock_uv(args.upgrade)


if __name__ == "__main__":
    main()
