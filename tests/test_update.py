"""`copier update` from an older release keeps owners' edits and their locks.

A throwaway copy of this template is released twice (1.0.0, then 1.1.0 with a
change to a template-owned file and to a shipped lock); a project made from
1.0.0 with its owner's edits is updated to 1.1.0 through the copier CLI,
without --trust.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import TEMPLATE_ROOT, commit_all, copier_cli, git

UNTRACKED = shutil.ignore_patterns(".git", ".venv", ".cache", "site", "__pycache__", "*_cache")


@pytest.fixture
def released_template(tmp_path: Path) -> Path:
    """A copy of the working tree as a git repository tagged 1.0.0."""
    template = tmp_path / "template"
    shutil.copytree(TEMPLATE_ROOT, template, ignore=UNTRACKED)
    commit_all(template, "Release 1.0.0")
    git(template, "tag", "1.0.0")
    return template


def made_from_1_0_0(template: Path, tmp_path: Path) -> Path:
    """A project made from release 1.0.0 by the copier CLI, committed."""
    project = tmp_path / "project"
    made = copier_cli(
        "copy",
        "--vcs-ref",
        "1.0.0",
        "--defaults",
        "--data",
        "project_name=Churn Model",
        str(template),
        str(project),
    )
    assert made.returncode == 0, made.stderr
    commit_all(project, "Start from the template")
    return project


def release_1_1_0(template: Path) -> None:
    makefile = template / "template" / "Makefile.jinja"
    makefile.write_text(makefile.read_text() + "\n# Added in 1.1.0\n")
    lock = template / "includes" / "locks" / "3.11" / "dev-notebooks.txt"
    lock.write_text(lock.read_text() + "# re-locked in 1.1.0\n")
    baseline = template / "template" / ".secrets.baseline"
    baseline.write_text(baseline.read_text().replace('"results": {}', '"results": {} '))
    example = template / "template" / ".env.example.jinja"
    example.write_text(example.read_text() + "# Added in 1.1.0\n")
    commit_all(template, "Release 1.1.0")
    git(template, "tag", "1.1.0")


def test_update_keeps_user_edits_and_never_touches_locks(released_template, tmp_path):
    project = made_from_1_0_0(released_template, tmp_path)
    lock_before = (project / "requirements" / "dev.txt").read_text()

    base_in = project / "requirements" / "base.in"
    base_in.write_text(base_in.read_text() + "matplotlib>=3.8\n")
    model = project / "src" / "churn_model" / "model.py"
    model.write_text(model.read_text().replace("max_iter=1000", "max_iter=5000"))
    baseline = project / ".secrets.baseline"
    baseline.write_text(baseline.read_text() + "\n")
    baseline_before = baseline.read_text()
    commit_all(project, "Owner's edits")
    env_file = project / ".env"  # git-ignored: never committed, must survive
    env_file.write_text("METRICS_WEBHOOK_TOKEN=owner-token\n")

    release_1_1_0(released_template)
    updated = copier_cli("update", "--defaults", "--vcs-ref", "1.1.0", cwd=project)
    assert updated.returncode == 0, updated.stderr

    assert (project / "Makefile").read_text().endswith("# Added in 1.1.0\n")
    assert (project / ".env.example").read_text().endswith("# Added in 1.1.0\n")
    # _skip_if_exists: locks, the secrets baseline and .env are never rewritten.
    assert (project / "requirements" / "dev.txt").read_text() == lock_before
    assert baseline.read_text() == baseline_before
    assert env_file.read_text() == "METRICS_WEBHOOK_TOKEN=owner-token\n"
    assert base_in.read_text().endswith("matplotlib>=3.8\n")
    assert "max_iter=5000" in model.read_text()
    assert "1.1.0" in (project / ".copier-answers.yml").read_text()
    leftovers = git(project, "status", "--porcelain", "--untracked-files=all")
    assert ".rej" not in leftovers and "<<<<<<<" not in git(project, "diff")


def test_update_refuses_a_dirty_project(released_template, tmp_path):
    project = made_from_1_0_0(released_template, tmp_path)
    (project / "notes.txt").write_text("not committed yet\n")
    release_1_1_0(released_template)

    updated = copier_cli("update", "--defaults", "--vcs-ref", "1.1.0", cwd=project)
    assert updated.returncode != 0
    assert "dirty" in updated.stderr.lower()
    assert "# Added in 1.1.0" not in (project / "Makefile").read_text()
