"""The generated Renovate configuration: valid for Renovate itself, and it finds releases.

Renovate 39 (from requirements/renovate, installed by `make test`) validates
the rendered `renovate.json` of every profile, then runs for real on the
local platform (a dry run that extracts and looks up, opening nothing)
against a project whose template is served on 127.0.0.1 by `git daemon`, a
stand-in for a git host.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands import commit_all, unavailable
from profiles import PROFILES, answers
from releases import made_from, release

pytestmark = pytest.mark.xdist_group("renovate")


@pytest.fixture(scope="session")
def renovate_bin() -> Path:
    folder = Path(os.environ.get("RENOVATE_BIN", ".cache/renovate/node_modules/.bin"))
    if not (folder / "renovate-config-validator").exists():
        unavailable("Renovate is not installed (make .cache/renovate/.installed)")
    return folder.resolve()


def renovate(folder: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        # re2 is a native module built by an install script, which npm ci skips.
        "RENOVATE_X_IGNORE_RE2": "true",
        "LOG_LEVEL": "debug",
        "LOG_FORMAT": "json",
    }
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env, check=False)


@pytest.mark.parametrize("profile", PROFILES)
def test_rendered_config_passes_renovates_validator(rendered, renovate_bin, profile):
    project = rendered(profile)
    done = renovate(
        project, str(renovate_bin / "renovate-config-validator"), "--strict", "renovate.json"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    config = json.loads((project / "renovate.json").read_text())
    [copier_rule] = [rule for rule in config["packageRules"] if rule["matchManagers"] == ["copier"]]
    assert copier_rule["versioning"] == "pep440"
    assert copier_rule["groupName"]
    assert config["schedule"]
    assert config["ignoreScripts"] is True  # Renovate never adds --trust
    assert "copier" in config["enabledManagers"]


def test_the_validator_refuses_a_broken_config(rendered, renovate_bin, tmp_path):
    config = json.loads((rendered("default") / "renovate.json").read_text())
    config["schedule"] = ["whenever it suits"]
    (tmp_path / "renovate.json").write_text(json.dumps(config))
    done = renovate(
        tmp_path, str(renovate_bin / "renovate-config-validator"), "--strict", "renovate.json"
    )
    assert done.returncode != 0
    assert "schedule" in done.stdout + done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def git_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The template, released as 1.0.0 and 1.1.0, at git://127.0.0.1:PORT/template."""
    root = tmp_path_factory.mktemp("git-host")
    release(root / "template", "1.0.0")
    release(root / "template", "1.1.0", lambda repo: (repo / "NEWS").write_text("1.1.0\n"))
    port = free_port()
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--export-all",
            "--reuseaddr",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={root}",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"git://127.0.0.1:{port}/template"
    for _ in range(50):
        probe = subprocess.run(
            ["git", "ls-remote", "--tags", url], capture_output=True, check=False
        )
        if probe.returncode == 0:
            break
        time.sleep(0.1)
    try:
        yield url
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def lookups(done: subprocess.CompletedProcess[str]) -> list[dict]:
    """The copier dependencies Renovate found, with their updates, from its debug log."""
    found = []
    for line in done.stdout.splitlines():
        record = json.loads(line)
        if record.get("msg") == "packageFiles with updates":
            for package_file in record["config"].get("copier", []):
                found += package_file["deps"]
    return found


def project_from(source: str, where: Path, src_path: str | None = None) -> Path:
    project = made_from(source, where / "project", "1.0.0", answers("default"))
    if src_path is not None:
        answers_file = project / ".copier-answers.yml"
        text = answers_file.read_text()
        answers_file.write_text(text.replace(f"_src_path: {source}", f"_src_path: {src_path}"))
        commit_all(project, "Another template source")
    return project


def test_renovate_proposes_the_next_release_from_a_git_url(git_host, renovate_bin, tmp_path):
    project = project_from(git_host, tmp_path)
    done = renovate(project, str(renovate_bin / "renovate"), "--platform=local")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    [dependency] = lookups(done)
    assert dependency["packageName"] == git_host
    assert dependency["currentValue"] == "1.0.0"
    assert dependency["versioning"] == "pep440"
    [proposed] = dependency["updates"]
    assert proposed["newVersion"] == "1.1.0"
    assert proposed["branchName"] == "renovate/project-template"


@pytest.mark.parametrize(
    ("form", "outcome"),
    [
        ("gh:acme/hardened-ds-template", "Failed to look up git-tags package"),
        ("git@github.com:acme/hardened-ds-template.git", "not followed"),
        ("/srv/templates/hardened-ds-template", "not followed"),
    ],
    ids=["gh-shorthand", "scp-like-ssh", "local-path"],
)
def test_source_forms_renovate_cannot_follow(git_host, renovate_bin, tmp_path, form, outcome):
    project = project_from(git_host, tmp_path, src_path=form)
    done = renovate(project, str(renovate_bin / "renovate"), "--platform=local")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    found = lookups(done)
    if outcome == "not followed":
        assert found == []  # the answers file is not read as a template at all
    else:
        [dependency] = found
        assert dependency["updates"] == []
        assert outcome in json.dumps(dependency["warnings"])
