"""The scheduled update jobs, run as GitHub and GitLab run them, against a local origin.

The `run:` scripts of the rendered `.github/workflows/template-update.yml`
and the `script:` of the `template-update` job of `.gitlab-ci.yml` run with
bash as the runners run them (`bash -e -o pipefail`), in the project as
checked out, with a bare repository as `origin` (GitLab's https remote is
redirected to it by git's `insteadOf`) and, for GitHub, a stand-in `gh` on
PATH that records what it is asked to do. Releases come from the working tree.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from commands import commit_all, git
from profiles import answers
from releases import made_from, release

FAKE_GH = """#!/bin/sh
echo "$@" >> "$GH_LOG"
"""
HOOK = """#!/bin/sh
echo "a hook from the release ran" >> "{marker}"
"""


@pytest.fixture
def setting(tmp_path: Path) -> dict[str, Path]:
    return make_setting(tmp_path, "default")


@pytest.fixture
def gitlab_setting(tmp_path: Path) -> dict[str, Path]:
    return make_setting(tmp_path, "py312-apache-gitlab-slim")


def make_setting(tmp_path: Path, profile: str) -> dict[str, Path]:
    """A template released once, a project made from it, its origin and a stand-in gh."""
    template = tmp_path / "template"
    release(template, "1.0.0")
    project = made_from(template, tmp_path / "project", "1.0.0", answers(profile))
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(project), str(origin))
    git(origin, "config", "receive.advertisePushOptions", "true")
    git(project, "remote", "add", "origin", str(origin))
    git(project, "fetch", "--quiet", "origin")
    # What `make install` would put in .venv: here, the template's own copier.
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "copier").symlink_to(Path(sys.executable).with_name("copier"))
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "gh").write_text(FAKE_GH)
    (tools / "gh").chmod(0o755)
    return {"template": template, "project": project, "origin": origin, "bin": tools}


def run_job(setting: dict[str, Path], run_number: int) -> tuple[int, str]:
    """Run the job's steps after the install; return the first failing code (or 0) and output."""
    project = setting["project"]
    workflow = yaml.safe_load((project / ".github/workflows/template-update.yml").read_text())
    steps = [step for step in workflow["jobs"]["update"]["steps"] if "run" in step]
    runner_temp = project.parent / f"runner-{run_number}"
    runner_temp.mkdir()
    env = {
        **os.environ,
        "PATH": f"{setting['bin']}{os.pathsep}{os.environ['PATH']}",
        "GH_LOG": str(project.parent / "gh.log"),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_WORKSPACE": str(project),
    }
    output = ""
    for step in steps:
        if step["run"] == "make install":
            continue
        folder = step.get("working-directory", str(project))
        folder = folder.replace("${{ runner.temp }}", str(runner_temp))
        step_env = {**env, **{key: "ghs_not_a_real_token" for key in step.get("env", {})}}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=folder,
            env=step_env,
            capture_output=True,
            text=True,
            check=False,
        )
        output += done.stdout + done.stderr
        if done.returncode != 0:
            return done.returncode, output
    return 0, output


def run_gitlab_job(setting: dict[str, Path]) -> tuple[int, str]:
    """The job's script, as one bash script, with GitLab's variables for a schedule."""
    project = setting["project"]
    job = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["template-update"]
    redirect = project.parent / "gitconfig"
    remote = "https://template-update:glpat-not-a-real-token@gitlab.example/group/churn.git"
    redirect.write_text(f'[url "{setting["origin"]}"]\n\tinsteadOf = {remote}\n')
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(redirect),
        "CI_PROJECT_DIR": str(project),
        "CI_DEFAULT_BRANCH": "main",
        "CI_SERVER_HOST": "gitlab.example",
        "CI_PROJECT_PATH": "group/churn",
        "TEMPLATE_UPDATE_TOKEN": "glpat-not-a-real-token",
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", "\n".join(job["script"])],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def branches(origin: Path) -> dict[str, str]:
    listed = git(origin, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
    return dict(line.split() for line in listed.splitlines())


def gh_calls(setting: dict[str, Path]) -> list[str]:
    log = setting["project"].parent / "gh.log"
    return log.read_text().splitlines() if log.exists() else []


def hooks_to(marker: Path) -> Callable[[Path], None]:
    """A release edit that renders git hooks into the project's .git/hooks."""

    def plant(repo: Path) -> None:
        hooks = repo / "template" / "{{ '.git' }}" / "hooks"
        hooks.mkdir(parents=True)
        for name in ("post-checkout", "pre-commit", "reference-transaction"):
            (hooks / name).write_text(HOOK.format(marker=marker))
            (hooks / name).chmod(0o755)

    return plant


def append_to_the_makefile(repo: Path) -> None:
    makefile = repo / "template" / "Makefile.jinja"
    makefile.write_text(makefile.read_text() + "# 1.1.0\n")


def test_each_release_is_proposed_once_on_a_branch_never_overwritten(setting):
    template, origin = setting["template"], setting["origin"]
    code, output = run_job(setting, 1)
    assert code == 0, output
    assert "Already at the newest release" in output
    assert set(branches(origin)) == {"main"}

    release(template, "1.1.0", append_to_the_makefile)
    code, output = run_job(setting, 2)
    assert code == 0, output
    proposed = branches(origin)["template-update/1.1.0"]
    assert git(origin, "show", "template-update/1.1.0:Makefile").endswith("# 1.1.0\n")
    [create] = [call for call in gh_calls(setting) if call.startswith("pr create")]
    assert "--head template-update/1.1.0" in create
    assert "--title Update from the template to 1.1.0" in create

    # Someone resolves something on the branch; the next run leaves it be.
    clone = setting["project"].parent / "reviewer"
    git(
        clone.parent,
        "clone",
        "--quiet",
        "--branch",
        "template-update/1.1.0",
        str(origin),
        str(clone),
    )
    (clone / "NOTES.md").write_text("resolved by a person\n")
    commit_all(clone, "A person's resolution")
    git(clone, "push", "--quiet", "origin", "template-update/1.1.0")
    resolved = branches(origin)["template-update/1.1.0"]
    assert resolved != proposed
    code, output = run_job(setting, 3)
    assert code == 0, output
    assert "template-update/1.1.0 exists" in output
    assert branches(origin)["template-update/1.1.0"] == resolved
    assert len([call for call in gh_calls(setting) if call.startswith("pr create")]) == 1


def test_conflicts_fail_the_job_after_the_pull_request_is_open(setting):
    project, template = setting["project"], setting["template"]
    security = project / "SECURITY.md"
    security.write_text(
        security.read_text().replace("**data-science@example.com**", "**us@example.org**")
    )
    commit_all(project, "Our contact")
    git(project, "push", "--quiet", "origin", "main")

    def new_contact(repo: Path) -> None:
        path = repo / "template/SECURITY.md.jinja"
        path.write_text(
            path.read_text().replace(
                "**{{ markdown(author_email) }}**", "**<{{ markdown(author_email) }}>**"
            )
        )

    release(template, "1.1.0", new_contact)
    code, output = run_job(setting, 1)
    assert code == 1
    assert "SECURITY.md:6: conflict marker" in output
    assert "template-update/1.1.0" in branches(setting["origin"])
    assert any(call.startswith("pr create") for call in gh_calls(setting))


def test_a_release_cannot_run_code_in_the_job(setting, tmp_path):
    """A release that renders a git hook fails the update; nothing is pushed or run."""
    marker = tmp_path / "hook-ran"

    release(setting["template"], "1.1.0", hooks_to(marker))
    code, output = run_job(setting, 1)
    assert code != 0
    assert "File exists" in output and "/update/.git" in output  # copier could not write there
    assert set(branches(setting["origin"])) == {"main"}
    assert not marker.exists()
    assert gh_calls(setting) == []
    # The checkout the job started from is untouched.
    assert not (setting["project"] / ".git" / "hooks" / "post-checkout").exists()
    assert git(setting["project"], "status", "--porcelain") == ""


def test_the_gitlab_job_proposes_a_release_once_and_runs_none_of_it(gitlab_setting, tmp_path):
    template, origin = gitlab_setting["template"], gitlab_setting["origin"]
    release(template, "1.1.0", append_to_the_makefile)
    git(gitlab_setting["project"], "fetch", "--quiet", "origin")
    code, output = run_gitlab_job(gitlab_setting)
    assert code == 0, output
    proposed = branches(origin)["template-update/1.1.0"]
    assert git(origin, "show", "template-update/1.1.0:Makefile").endswith("# 1.1.0\n")
    code, output = run_gitlab_job(gitlab_setting)  # the branch exists: left as it is
    assert code == 0, output
    assert branches(origin)["template-update/1.1.0"] == proposed

    marker = tmp_path / "hook-ran"

    release(template, "1.2.0", hooks_to(marker))
    code, output = run_gitlab_job(gitlab_setting)
    assert code != 0
    assert "template-update/1.2.0" not in branches(origin)
    assert not marker.exists()
