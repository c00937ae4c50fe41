"""A generated project works the way its README says: install, test, run, lint, lock.

These tests install real packages (hash-checked, from the package index) into
a fresh virtualenv for each supported Python, so they are the slow ones.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from conftest import commit_all, git, python_path, render
from locks import parse_lock
from profiles import INSTALL_PROFILES, answers


def run_make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=project, capture_output=True, text=True
    )


def check(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def installed_versions(project: Path) -> dict[str, str]:
    listing = check(
        subprocess.run(
            [project / ".venv/bin/python", "-m", "pip", "list", "--format=json"],
            capture_output=True,
            text=True,
        )
    )
    return {canonicalize_name(p["name"]): p["version"] for p in json.loads(listing)}


@pytest.mark.parametrize("profile", INSTALL_PROFILES)
def test_install_test_run_lint_from_a_fresh_commit(copie, gnu_make, profile):
    version = str(answers(profile).get("python_version", "3.11"))
    python = python_path(version)
    project = render(copie, profile)
    commit_all(project)

    check(run_make(project, "install", f"PYTHON={python}"))
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

    # Exactly the lock, nothing more: hash-checked installs never resolve anew.
    pins = {name: pin.version for name, pin in parse_lock(project / "requirements/dev.txt").items()}
    installed = installed_versions(project)
    package = canonicalize_name(
        project.joinpath("pyproject.toml").read_text().split('name = "', 1)[1].split('"', 1)[0]
    )
    assert installed.pop(package) == "0.1.0"
    assert installed == pins

    tested = check(run_make(project, "test"))
    assert " passed" in tested and "failed" not in tested and "error" not in tested

    check(run_make(project, "run"))
    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert metrics["accuracy"] > 0.9
    check(
        subprocess.run(
            ["sha256sum", "--check", "model.skops.sha256"],
            cwd=project / "models",
            capture_output=True,
            text=True,
        )
    )

    check(run_make(project, "lint"))
    # Data, models, reports and the venv are all ignored: the run leaves git clean.
    assert git(project, "status", "--porcelain") == ""

    check(run_make(project, "clean"))
    assert not (project / ".venv").exists()
    assert (project / "models" / "model.skops").is_file(), "make clean must keep models"


def test_lock_is_stable_when_nothing_changed(copie, gnu_make):
    """`make lock` on a fresh project keeps every pin: the shipped locks are current."""
    project = render(copie, "default")
    commit_all(project)
    check(run_make(project, "install", f"PYTHON={python_path('3.11')}"))
    check(run_make(project, "lock"))
    assert git(project, "diff", "--stat") == ""


def test_missing_python_is_a_clear_error(copie, gnu_make):
    project = render(copie, "default")
    done = run_make(project, "install", "PYTHON=python3.11-does-not-exist")
    assert done.returncode != 0
    assert "is not a working Python 3.11" in done.stderr
    assert "make install PYTHON=/path/to/python3.11" in done.stderr
    assert not (project / ".venv").exists()


def test_wrong_python_version_is_refused(copie, gnu_make):
    project = render(copie, "default")
    done = run_make(project, "install", f"PYTHON={python_path('3.12')}")
    assert done.returncode != 0
    assert "is not a working Python 3.11" in done.stderr
    assert not (project / ".venv").exists()
