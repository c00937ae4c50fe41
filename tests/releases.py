"""Throwaway releases of this template, made from the working tree in a temp repo.

Tests never rely on the tags of the clone they run in: each makes the
releases it needs, edited as the scenario requires, and tags them.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from commands import TEMPLATE_ROOT, commit_all, copier_cli, git

UNTRACKED = shutil.ignore_patterns(".git", ".venv", ".cache", "site", "__pycache__", "*_cache")


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in ``path``; fail loudly when it is not there."""
    text = path.read_text()
    assert old in text, f"{path}: {old!r} not found; update the test's edits"
    path.write_text(text.replace(old, new, 1))


def release(repo: Path, tag: str, *edits: Callable[[Path], None]) -> None:
    """Replace ``repo``'s tree with the working tree plus ``edits``; tag it ``tag``."""
    if (repo / ".git").exists():
        git(repo, "rm", "-r", "--quiet", ".")
    shutil.copytree(TEMPLATE_ROOT, repo, ignore=UNTRACKED, dirs_exist_ok=True)
    for change in edits:
        change(repo)
    commit_all(repo, f"Release {tag}")
    git(repo, "tag", "--annotate", tag, "--message", f"Release {tag}")


def made_from(source: str | Path, project: Path, tag: str, answers: dict[str, object]) -> Path:
    """A project made by the copier CLI from ``source`` at ``tag``, committed."""
    data = [f"--data={key}={value}" for key, value in answers.items()]
    done = copier_cli("copy", "--vcs-ref", tag, "--defaults", *data, str(source), str(project))
    assert done.returncode == 0, done.stderr
    commit_all(project, f"Start from the template at {tag}")
    return project


def update(project: Path, tag: str) -> subprocess.CompletedProcess[str]:
    """Update ``project`` to ``tag`` with Renovate's own command (the scheduled
    job's, but for --answers-file): answered questions are kept, new ones take
    their defaults."""
    return copier_cli(
        "update",
        "--skip-answered",
        "--defaults",
        "--answers-file",
        ".copier-answers.yml",
        "--vcs-ref",
        tag,
        cwd=project,
    )
