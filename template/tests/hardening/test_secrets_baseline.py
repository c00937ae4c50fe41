"""tools/scan_secrets.py: the secret scan, and the baseline it refuses to trust.

Each test works in a throwaway git repository with this project's baseline
and changes it the way someone hiding a committed secret would.
"""

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

AWS_KEY = "AKIA" + "Z3MSJV4WWNKWW5FG"  # split, so this file holds no key
DETECT_SECRETS = str(Path(sys.executable).with_name("detect-secrets"))
FILTERS = "detect_secrets.filters."

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A git repository with the project's baseline and one module that leaks a key."""
    monkeypatch.chdir(tmp_path)
    git("init", "--quiet")
    shutil.copy(PROJECT_ROOT / ".secrets.baseline", ".secrets.baseline")
    Path("settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    git("add", ".")
    return tmp_path


@pytest.fixture
def scan(tools, capfd) -> Callable[..., tuple[int, str]]:
    """Scan the repository's files as pre-commit would; return the exit code and output."""
    scan_secrets = tools("scan_secrets")

    def run(*files: str) -> tuple[int, str]:
        code = scan_secrets.main(list(files or ("settings.py", ".secrets.baseline")))
        captured = capfd.readouterr()
        return code, captured.out + captured.err

    return run


def edit_baseline(change) -> None:
    baseline = json.loads(Path(".secrets.baseline").read_text())
    change(baseline)
    Path(".secrets.baseline").write_text(json.dumps(baseline, indent=2))
    git("add", ".secrets.baseline")  # as committed: detect-secrets refuses an unstaged one


def test_the_committed_key_fails(repo, scan):
    code, output = scan()
    assert code == 1
    assert "AWS Access Key" in output


def test_a_baseline_regenerated_over_the_key_fails_until_audited(repo, scan):
    subprocess.run([DETECT_SECRETS, "scan", "--baseline", ".secrets.baseline"], check=True)
    code, output = scan()
    assert code == 1
    assert "settings.py:1: an AWS Access Key finding is not audited as a false positive" in output
    assert AWS_KEY not in output

    # What `detect-secrets audit` records when a person marks it a false positive.
    edit_baseline(lambda b: b["results"]["settings.py"][0].update(is_secret=False))
    assert scan()[0] == 0


def test_a_baseline_that_excludes_the_file_fails(repo, scan):
    subprocess.run(
        [DETECT_SECRETS, "scan", "--baseline", ".secrets.baseline", "--exclude-files", ".*"],
        check=True,
    )
    code, output = scan()
    assert code == 1
    assert "the pattern '.*' excludes" in output


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda b: b["plugins_used"].remove({"name": "AWSKeyDetector"}),
            "the AWSKeyDetector detector is left out",
        ),
        (
            lambda b: b["plugins_used"].append({"name": "Mine", "path": "file:///tmp/mine.py"}),
            "the detector Mine is not one of detect-secrets' own",
        ),
        (
            lambda b: next(
                p for p in b["plugins_used"] if p["name"] == "HexHighEntropyString"
            ).update(limit=8.0),
            "the HexHighEntropyString limit is not a number up to 3.0",
        ),
        (
            lambda b: next(p for p in b["plugins_used"] if p["name"] == "KeywordDetector").update(
                keyword_exclude=".*"
            ),
            "excludes keywords",
        ),
        (
            lambda b: b["filters_used"].append(
                {"path": FILTERS + "regex.should_exclude_line", "pattern": [".*"]}
            ),
            "should_exclude_line is not allowed",
        ),
        (
            lambda b: next(
                f for f in b["filters_used"] if f["path"].endswith("verification_policies")
            ).update(min_level=3),
            "ignores unverified findings",
        ),
        (
            lambda b: b["filters_used"].append(
                {"path": FILTERS + "common.is_baseline_file", "filename": "settings.py"}
            ),
            "the baseline filter skips settings.py",
        ),
    ],
    ids=[
        "detector left out",
        "own detector",
        "limit",
        "keywords",
        "exclude lines",
        "verified",
        "baseline name",
    ],
)
def test_a_weakened_baseline_fails(repo, scan, change, reason):
    edit_baseline(change)
    code, output = scan()
    assert code == 1
    assert reason in output


def test_a_filter_from_outside_detect_secrets_is_refused_and_never_run(repo, scan):
    ran = repo / "filter-ran"
    Path("mine.py").write_text(
        f"from pathlib import Path\nPath({str(ran)!r}).touch()\n\n\ndef skip(secret):\n"
        "    return True\n"
    )
    edit_baseline(lambda b: b["filters_used"].append({"path": f"file://{repo}/mine.py::skip"}))
    code, output = scan()
    assert code == 1
    assert "is not allowed" in output
    assert not ran.exists()


def test_an_old_baseline_that_detect_secrets_would_upgrade_fails(repo, scan):
    """detect-secrets turns an old baseline's "exclude" into filters as it loads it."""

    def downgrade(baseline: dict) -> None:
        baseline["version"] = "0.14.3"
        baseline["exclude"] = {"files": None, "lines": "AKIA"}

    edit_baseline(downgrade)
    code, output = scan()
    assert code == 1
    assert "written by detect-secrets 0.14.3" in output


def test_a_setting_detect_secrets_does_not_write_fails(repo, scan):
    edit_baseline(lambda b: b.update(custom_plugin_paths=["tests/helpers_plugin.py"]))
    code, output = scan()
    assert code == 1
    assert "the setting custom_plugin_paths is not one detect-secrets writes" in output


def test_an_entropy_limit_that_is_not_a_number_fails(repo, scan):
    edit_baseline(
        lambda b: next(
            p for p in b["plugins_used"] if p["name"] == "Base64HighEntropyString"
        ).update(limit=float("nan"))
    )
    code, output = scan()
    assert code == 1
    assert "the Base64HighEntropyString limit is not a number up to 4.5" in output


def test_only_the_two_locks_may_be_excluded(repo, scan):
    Path("requirements").mkdir()
    Path("requirements/notes.txt").write_text(f"deploy key: {AWS_KEY}\n")
    git("add", "requirements/notes.txt")
    code, output = scan()
    assert code == 1
    assert "excludes requirements/notes.txt" in output


def test_a_python_file_detect_secrets_cannot_read_fails(repo, scan):
    Path("settings.py").write_bytes(
        b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + f'KEY = "{AWS_KEY}"\n'.encode()
    )
    code, output = scan()
    assert code == 1
    assert "settings.py: not UTF-8 text, so detect-secrets cannot read it" in output


def test_a_file_named_like_a_swagger_file_is_scanned(repo, scan):
    Path("swagger_client.py").write_text(f'KEY = "{AWS_KEY}"\n')
    git("add", "swagger_client.py")
    code, output = scan("swagger_client.py")
    assert code == 1
    assert "AWS Access Key" in output


@pytest.mark.parametrize("name", ["deploy/keys.css", "icons/key.svg", "poetry.lock", "app.js.map"])
def test_a_key_in_text_named_like_a_binary_file_is_found(repo, scan, name):
    """detect-secrets skips these names unread; their text is scanned all the same."""
    Path("settings.py").write_text("DEBUG = False\n")
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_text(f"/* aws_access_key_id = {AWS_KEY} */\n")
    git("add", name)
    code, output = scan("settings.py", name)
    assert code == 1
    assert f"{name}.txt" in output


def test_a_binary_file_and_clean_text_named_like_one_pass(repo, scan):
    Path("settings.py").write_text("DEBUG = False\n")
    Path("logo.png").write_bytes(bytes(range(256)) * 4)
    Path("style.css").write_text("body { color: #222; }\n")
    git("add", ".")
    assert scan("settings.py", "logo.png", "style.css")[0] == 0


def test_a_key_read_through_a_function_call_is_found(repo, scan):
    """detect-secrets' default indirect-reference filter would drop this line."""
    Path("settings.py").write_text(f'import os\nKEY = os.environ.get("KEY", "{AWS_KEY}")\n')
    code, output = scan()
    assert code == 1
    assert "AWS Access Key" in output


@pytest.mark.parametrize("name", ["is_indirect_reference", "is_lock_file", "is_swagger_file"])
def test_a_default_filter_that_drops_real_keys_is_refused(repo, scan, name):
    edit_baseline(lambda b: b["filters_used"].append({"path": FILTERS + "heuristic." + name}))
    code, output = scan()
    assert code == 1
    assert f"heuristic.{name} is not allowed" in output


def test_a_key_in_the_baseline_itself_fails(repo, scan):
    Path("settings.py").write_text("DEBUG = False\n")
    edit_baseline(lambda b: b["filters_used"][-1]["pattern"].append(AWS_KEY))
    code, output = scan()
    assert code == 1
    assert "a value in it looks like a secret" in output


def test_another_file_named_like_the_baseline_fails(repo, scan):
    Path("config").mkdir()
    Path("config/.secrets.baseline").write_text(json.dumps({"key": AWS_KEY}) + "\n")
    git("add", "config/.secrets.baseline")
    code, output = scan("config/.secrets.baseline")
    assert code == 1
    assert "detect-secrets skips every file named .secrets.baseline" in output


def test_a_text_file_with_a_nul_byte_that_detect_secrets_cannot_read_fails(repo, scan):
    Path("blob.py").write_bytes(b"# \x00\n# \xff\n" + f'KEY = "{AWS_KEY}"\n'.encode())
    git("add", "blob.py")
    code, output = scan("blob.py")
    assert code == 1
    assert "blob.py: not UTF-8 text" in output


def test_a_baseline_that_is_not_json_fails(repo, scan):
    Path(".secrets.baseline").write_text("{not json")
    code, output = scan()
    assert code == 1
    assert "cannot read .secrets.baseline" in output


def test_a_clean_project_passes(repo, scan):
    Path("settings.py").write_text('AWS_ACCESS_KEY_ID = ""  # set in .env\n')
    assert scan()[0] == 0
