"""`make release` tags only a clean tree, a higher PEP 440 version, and a
changelog section with upgrade notes; a refusal changes nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from commands import TEMPLATE_ROOT, commit_all, git

CHANGELOG = """\
# Changelog

## [Unreleased]

### Security

- A fix.

### Upgrade notes

- Run `make lock`.

## [1.0.0] - 2026-01-01

### Added

- Everything.

### Upgrade notes

None.
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository holding the release machinery, released once as 1.0.0."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(TEMPLATE_ROOT / "Makefile", repo)
    shutil.copy(TEMPLATE_ROOT / "scripts" / "release.py", repo / "scripts")
    (repo / "CHANGELOG.md").write_text(CHANGELOG)
    commit_all(repo, "Start")
    git(repo, "tag", "--annotate", "1.0.0", "--message", "Release 1.0.0")
    return repo


def make_release(repo: Path, version: str) -> subprocess.CompletedProcess[str]:
    # The template's own venv stands in for the copy's (INSTALLED= skips making one).
    bin_dir = Path(sys.executable).parent
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "release",
            f"VERSION={version}",
            f"BIN={bin_dir}",
            "INSTALLED=",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )


def state(repo: Path) -> tuple[str, str, str, str]:
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "tag", "--list"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        (repo / "CHANGELOG.md").read_text(),
    )


def test_release_moves_unreleased_commits_and_tags(repo):
    done = make_release(repo, "1.1.0")
    assert done.returncode == 0, done.stderr
    assert "git push origin HEAD 1.1.0" in done.stdout
    text = (repo / "CHANGELOG.md").read_text()
    # [Unreleased] stays, empty, above the new section, which holds its entries.
    assert "## [Unreleased]\n\n## [1.1.0] - " in text
    new_section = text.split("## [1.1.0]")[1].split("## [1.0.0]")[0]
    assert "- A fix." in new_section and "Run `make lock`" in new_section
    assert git(repo, "cat-file", "-t", "1.1.0").strip() == "tag"  # annotated
    assert git(repo, "rev-parse", "1.1.0^{commit}") == git(repo, "rev-parse", "HEAD")
    assert git(repo, "log", "-1", "--format=%s").strip() == "Release 1.1.0"
    assert git(repo, "status", "--porcelain").strip() == ""


def test_release_uses_a_section_written_by_hand(repo):
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace("## [Unreleased]", "## [1.0.1] - 2026-02-01")
    )
    commit_all(repo, "Changelog for 1.0.1")
    head = git(repo, "rev-parse", "HEAD")
    done = make_release(repo, "1.0.1")
    assert done.returncode == 0, done.stderr
    assert git(repo, "rev-parse", "1.0.1^{commit}") == head  # nothing new to commit


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("banana", "not a PEP 440 version"),
        ("v1.1.0", "normal form: 1.1.0"),
        ("1.1.0+local", "local version label"),
        ("1.0.0", "exists already"),
        ("0.9.0", "not above the latest release, 1.0.0"),
        ("01.1.0", "normal form: 1.1.0"),
        ("1.0", "not above the latest release"),
        ("1.0.0rc1", "not above the latest release"),
    ],
)
def test_release_refuses_a_version_that_is_not_next(repo, version, reason):
    before = state(repo)
    done = make_release(repo, version)
    assert done.returncode != 0
    assert reason in done.stderr
    assert state(repo) == before


def test_release_refuses_a_dirty_tree(repo):
    (repo / "notes.txt").write_text("untracked\n")
    before = state(repo)
    done = make_release(repo, "1.1.0")
    assert done.returncode != 0
    assert "not clean" in done.stderr
    assert state(repo) == before


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            lambda text: text.replace("### Upgrade notes\n\n- Run `make lock`.\n\n", ""),
            "Upgrade notes",
        ),
        (
            lambda text: text.replace(
                text[text.index("### Security") : text.index("## [1.0.0]")], ""
            ),
            "is empty",
        ),
        (lambda text: text.replace("## [Unreleased]", "## Next"), "no ## [Unreleased] section"),
    ],
    ids=["no-upgrade-notes", "empty-unreleased", "no-unreleased"],
)
def test_release_refuses_a_changelog_without_a_proper_section(repo, edit, reason):
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(edit(changelog.read_text()))
    commit_all(repo, "Edit the changelog")
    before = state(repo)
    done = make_release(repo, "1.1.0")
    assert done.returncode != 0
    assert reason in done.stderr
    assert state(repo) == before


def test_release_needs_a_version(repo):
    done = subprocess.run(
        ["make", "release", "INSTALLED="], cwd=repo, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "usage: make release VERSION=X.Y.Z" in done.stderr
