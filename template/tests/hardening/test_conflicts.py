"""tools/check_conflicts.py: an update's unresolved conflicts fail the audit."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

COPIER_CONFLICT = (
    "<<<<<<< before updating\nowner's line\n=======\ntemplate's line\n>>>>>>> after updating\n"
)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("*.rej\nignored/\n")
    (tmp_path / "README.md").write_text("Title\n=======\n\nA heading, not a conflict.\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(tools, capsys) -> tuple[int, str]:
    code = tools("check_conflicts").main()
    return code, capsys.readouterr().err


def test_a_clean_tree_passes(repo, tools, capsys):
    subprocess.run(["git", "add", "--all"], check=True)
    assert run(tools, capsys) == (0, "")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("Makefile", COPIER_CONFLICT),
        ("SECURITY.md", COPIER_CONFLICT.replace("\n", "\r\n")),
        ("src/deep/module.py", "x = 1\n" + COPIER_CONFLICT),
        ("notes.txt", "<<<<<<< HEAD\nmine\n||||||| base\nold\n=======\ntheirs\n>>>>>>> theirs\n"),
    ],
)
def test_conflict_markers_fail_tracked_or_not(repo, tools, capsys, name, content):
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode())
    if name == "Makefile":
        subprocess.run(["git", "add", name], check=True)  # tracked; the rest are untracked
    code, err = run(tools, capsys)
    assert code == 1
    assert f"{name}:1: conflict marker" in err or f"{name}:2: conflict marker" in err
    assert "an update left conflicts" in err


def test_a_rejected_hunk_file_fails_even_when_git_ignores_it(repo, tools, capsys):
    (repo / "ignored").mkdir()
    (repo / "ignored" / "Makefile.rej").write_text("@@ -1 +1 @@\n-a\n+b\n")
    code, err = run(tools, capsys)
    assert code == 1
    assert "ignored/Makefile.rej: hunks an update could not apply" in err


def test_a_deleted_tracked_file_is_not_an_error(repo, tools, capsys):
    subprocess.run(["git", "add", "--all"], check=True)
    Path("README.md").unlink()
    assert run(tools, capsys) == (0, "")


def test_markers_staged_but_gone_from_disk_still_fail(repo, tools, capsys):
    readme = repo / "README.md"
    clean = readme.read_bytes()
    readme.write_bytes(clean + COPIER_CONFLICT.encode())
    subprocess.run(["git", "add", "README.md"], check=True)
    readme.write_bytes(clean)  # what `git commit` takes is still the staged copy
    code, err = run(tools, capsys)
    assert code == 1
    assert "README.md:5: conflict marker (staged)" in err


def test_odd_names_and_long_lines_are_read_not_crashed_on(repo, tools, capsys):
    odd = repo / os.fsdecode(b"caf\xe9 notes.txt")  # not UTF-8, with a space
    odd.write_bytes(b"x" * 300_000 + b"\n" + COPIER_CONFLICT.encode())
    (repo / "notes.rej").mkdir()  # a folder, not a rejected hunk
    code, err = run(tools, capsys)
    assert code == 1
    assert "caf\\xe9 notes.txt:2: conflict marker" in err
    assert "notes.rej" not in err


@pytest.mark.parametrize("name", ["0:notes.md", "notes.md"])
def test_staged_markers_are_read_by_object_whatever_the_name_or_flags(repo, tools, capsys, name):
    subprocess.run(["git", "add", "--all"], check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start"])
    path = repo / name
    path.write_text("# Notes\n" + COPIER_CONFLICT)
    subprocess.run(["git", "add", "--", name], check=True)
    path.write_text("# Notes\n")  # clean on disk, and git told not to look at it
    subprocess.run(["git", "update-index", "--assume-unchanged", "--", name], check=True)
    code, err = run(tools, capsys)
    assert code == 1
    assert f"{name}:2: conflict marker (staged)" in err


def test_markers_a_checkout_would_hide_are_found_in_git_s_copy(repo, tools, capsys):
    """An attribute can make git write a file otherwise than it stores it (here
    UTF-16): markers in the committed copy still fail, whatever the disk shows."""
    git = ["git", "-c", "user.name=Tests", "-c", "user.email=tests@example.com"]
    (repo / "SECURITY.md").write_text("Contact us.\n" + COPIER_CONFLICT)
    subprocess.run([*git, "add", "--all"], check=True)
    subprocess.run([*git, "commit", "--quiet", "--message", "Markers"], check=True)
    (repo / ".gitattributes").write_text("SECURITY.md working-tree-encoding=UTF-16LE\n")
    subprocess.run([*git, "add", ".gitattributes"], check=True)
    subprocess.run([*git, "commit", "--quiet", "--message", "Encoding"], check=True)
    (repo / "SECURITY.md").unlink()
    subprocess.run([*git, "checkout", "--", "SECURITY.md"], check=True)
    assert b"<<<<<<< " not in (repo / "SECURITY.md").read_bytes()  # hidden on disk
    code, err = run(tools, capsys)
    assert code == 1
    assert "SECURITY.md:2: conflict marker (staged)" in err


def test_a_submodule_entry_is_no_file_to_read(repo, tools, capsys):
    """A gitlink names a commit of another repository, not a blob: skipped, not a crash."""
    subprocess.run(["git", "add", "--all"], check=True)
    commit = "1" * 40
    subprocess.run(
        ["git", "update-index", "--add", "--cacheinfo", f"160000,{commit},vendor/lib"], check=True
    )
    assert run(tools, capsys) == (0, "")
