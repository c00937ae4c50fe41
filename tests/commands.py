"""Running what the tests drive: copier, make, git and the scanners.

Tests and helpers import these by name (pytest.ini puts tests/ on the path);
conftest.py holds only fixtures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from interpreters import find_python
from profiles import answers

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
COPIER = str(Path(sys.executable).with_name("copier"))


def unavailable(reason: str) -> None:
    """Skip for a missing tool on a workstation; in CI a missing tool is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the CI script must install it)")
    pytest.skip(reason)


def scanner(name: str) -> str:
    folder = os.environ.get("SCANNERS_BIN", str(TEMPLATE_ROOT / ".cache" / "scanners" / "bin"))
    path = Path(folder) / name
    if not path.exists():
        unavailable(f"{name} is not installed (make .cache/scanners/.installed)")
    return str(path)


def copier_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the copier command line, as users do: never with --trust."""
    return subprocess.run([COPIER, *args], cwd=cwd, capture_output=True, text=True, check=False)


def checkov(project: Path, *target: str) -> tuple[list[dict], subprocess.CompletedProcess[str]]:
    """Run checkov offline on ``target`` in ``project``; return its reports and the run."""
    done = subprocess.run(
        [
            scanner("checkov"),
            *target,
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    reports = json.loads(done.stdout) if done.stdout.strip() else []
    return (reports if isinstance(reports, list) else [reports]), done


def python_path(version: str) -> str:
    python = find_python(version)
    if python is None:
        unavailable(f"Python {version} is not installed")
    return python


def git(project: Path, *args: str) -> str:
    """Run git in ``project`` as a throwaway identity; return its stdout."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Template Tests",
        "GIT_AUTHOR_EMAIL": "tests@example.com",
        "GIT_COMMITTER_NAME": "Template Tests",
        "GIT_COMMITTER_EMAIL": "tests@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=project, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def commit_all(project: Path, message: str = "Initial commit") -> None:
    if not (project / ".git").exists():
        git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message", message)


# `make` options for a project whose venv is in place: never reinstall, even
# when a test has edited the lock or pyproject.toml (uv projects stamp twice).
AS_INSTALLED = ("-o", ".venv/.installed", "-o", ".venv/.uv-installed")


def run_in(
    folder: Path, *command: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``folder`` with this environment plus ``env``.

    A maintainer's SAFETY_API_KEY never reaches it unless ``env`` sets one: the
    gates are tested as a project without a key runs them.
    """
    environment = {key: value for key, value in os.environ.items() if key != "SAFETY_API_KEY"}
    return subprocess.run(
        [str(part) for part in command],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**environment, **(env or {})},
        check=False,
    )


def pre_commit(project: Path, *hook: str) -> subprocess.CompletedProcess[str]:
    """The project's pre-commit hooks on every file (one hook, if named), from an
    empty PRE_COMMIT_HOME: the hooks are local and must install nothing."""
    home = str(project.parent / "pre-commit-home")
    return run_in(
        project, ".venv/bin/pre-commit", "run", *hook, "--all-files", env={"PRE_COMMIT_HOME": home}
    )


def run_make(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the project's `make` with ``args`` (targets, variables, AS_INSTALLED)."""
    return run_in(project, "make", "--no-print-directory", *args, env=env)


def check(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def render(copie, profile: str, **overrides: object) -> Path:
    """Render ``profile`` (plus overrides) and return the project folder."""
    result = copie.copy(extra_answers={**answers(profile), **overrides})
    assert result.exit_code == 0, result.exception
    assert result.exception is None
    return result.project_dir


def package_of(project: Path) -> str:
    """The project's import package, as its answers file records it."""
    return str(yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"])
