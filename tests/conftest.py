"""Fixtures shared by the template's tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from interpreters import find_python
from postgres_server import Server, postgres
from postgres_server import binaries as postgres_binaries
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


def run_make(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def check(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def render(copie, profile: str, **overrides: object) -> Path:
    """Render ``profile`` (plus overrides) and return the project folder."""
    result = copie.copy(extra_answers={**answers(profile), **overrides})
    assert result.exit_code == 0, result.exception
    assert result.exception is None
    return result.project_dir


@pytest.fixture(scope="session")
def template_root() -> Path:
    """pytest-copie renders from this path: absolute, so _src_path is too."""
    return TEMPLATE_ROOT


@pytest.fixture(scope="session")
def rendered(copie_session):
    """Render each profile once per session; return a function profile -> folder."""
    cache: dict[str, Path] = {}

    def get(profile: str) -> Path:
        if profile not in cache:
            cache[profile] = render(copie_session, profile)
        return cache[profile]

    return get


@pytest.fixture(scope="session")
def gnu_make() -> str:
    path = shutil.which("make")
    if path is None:
        unavailable("make is not installed")
    return path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """One PostgreSQL cluster per test process; each test makes its own database."""
    if postgres_binaries() is None:
        unavailable("PostgreSQL is not installed (Debian: postgresql)")
    with postgres() as server:
        yield server
