"""The scheduled update jobs, run as GitHub and GitLab run them, against a local origin.

Each pipeline has two jobs: one runs `copier update` and holds nothing worth
stealing, the other holds the write token and only applies the first one's
patch with git, checks it and pushes it. Here each job runs in a checkout of
its own (a fresh clone of a bare `origin`), with a runner temp folder of its
own, its `run:` or `script:` steps run by bash as the runners run them
(`bash -e -o pipefail`), and artifacts handed over as files. GitHub's `gh` is
a stand-in that records what it is asked to do; GitLab's https remote is
redirected to the bare origin by git's `insteadOf`. `make` and `copier` are
stand-ins that record every call in the job that pushes, where neither may
run. Releases come from the working tree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from commands import commit_all, git
from profiles import answers
from releases import edit, made_from, release

GITHUB_TOKEN = "ghs_not_a_real_token"
GITLAB_TOKEN = "glpat-not-a-real-token"
GITLAB_REMOTE = "https://template-update:{token}@gitlab.example/group/churn.git"
RECORDER = """#!/bin/sh
echo "$(basename "$0") $*" >> "$CALL_LOG"
"""
HOOK = """#!/bin/sh
echo "a hook from the release ran" >> "{marker}"
"""
# What a hostile release runs wherever git lets it: it says in which job it
# ran and what it could see, swaps the conflict check for one that passes, and
# puts a folder of its own first on the PATH of the job's next steps.
PAYLOAD = """#!/bin/sh
echo "${{GITHUB_JOB:-}}${{CI_JOB_NAME:-}} $1" >> "{marker}"
env > "{marker}.env.$$"
[ -n "${{RUNNER_TEMP:-}}" ] && printf 'raise SystemExit(0)\\n' > "$RUNNER_TEMP/check_conflicts.py"
[ -n "${{GITHUB_PATH:-}}" ] && echo "{marker}.bin" >> "$GITHUB_PATH"
exit 0
"""
PLANTED_CONFIG = """[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = false
\tfsmonitor = sh .git/payload.sh fsmonitor
[filter "planted"]
\tclean = "sh .git/payload.sh filter </dev/null >/dev/null; cat"
\tsmudge = cat
"""
# Rendered as ".git" only in copier's own folder for the new release, and as
# nothing (skipped) in the project: copier's commit there runs what it holds.
IN_COPIERS_FOLDER = '{% if "new_copy" in _copier_conf.dst_path|string %}.git{% endif %}'


@pytest.fixture
def setting(tmp_path: Path) -> dict[str, Path]:
    return make_setting(tmp_path, "default")


@pytest.fixture
def gitlab_setting(tmp_path: Path) -> dict[str, Path]:
    return make_setting(tmp_path, "py312-apache-gitlab-slim")


def make_setting(tmp_path: Path, profile: str) -> dict[str, Path]:
    """A template released once, a project made from it, its bare origin, stand-in tools."""
    template = tmp_path / "template"
    release(template, "1.0.0")
    project = made_from(template, tmp_path / "project", "1.0.0", answers(profile))
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(project), str(origin))
    git(origin, "config", "receive.advertisePushOptions", "true")
    git(project, "remote", "add", "origin", str(origin))
    git(project, "fetch", "--quiet", "origin")
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("gh", "make", "copier"):
        (tools / name).write_text(RECORDER)
        (tools / name).chmod(0o755)
    return {"template": template, "project": project, "origin": origin, "bin": tools}


def checkout(setting: dict[str, Path], workspace: Path) -> None:
    """What the checkout step leaves: a clone of origin's main; with `make install`, copier."""
    git(workspace, "clone", "--quiet", str(setting["origin"]), ".")


def installed(workspace: Path) -> None:
    """What `make install` would put in .venv: here, the template's own copier."""
    (workspace / ".venv" / "bin").mkdir(parents=True)
    (workspace / ".venv" / "bin" / "copier").symlink_to(Path(sys.executable).with_name("copier"))


def bash(script: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def job_env(setting: dict[str, Path], folder: Path, **more: str) -> dict[str, str]:
    """The runner's environment: no token, unless a step or a job's variables add one."""
    env = {key: value for key, value in os.environ.items() if "TOKEN" not in key}
    return {
        **env,
        "PATH": f"{setting['bin']}{os.pathsep}{env['PATH']}",
        "CALL_LOG": str(folder / "calls.log"),
        **more,
    }


def run_github(
    setting: dict[str, Path], run_number: int, *, repository_secrets: bool = False
) -> tuple[int, str]:
    """Run the workflow's jobs in order; return the first failing code (or 0) and the output.

    Secrets are environment secrets, as the docs say to store them: a step gets
    a value only in a job that names an environment, unless
    ``repository_secrets``, where every job gets them.
    """
    workflow = yaml.safe_load(
        (setting["project"] / ".github/workflows/template-update.yml").read_text()
    )
    run = setting["project"].parent / f"run-{run_number}"
    artifacts = run / "artifacts"
    output = ""
    for name, job in workflow["jobs"].items():
        folder = run / name
        temp, workspace = folder / "temp", folder / "workspace"
        temp.mkdir(parents=True)
        workspace.mkdir()  # the runner's, checked out into or not
        (folder / "github_path").touch()
        env = job_env(
            setting,
            folder,
            GITHUB_JOB=name,
            GITHUB_PATH=str(folder / "github_path"),
            RUNNER_TEMP=str(temp),
            GITHUB_WORKSPACE=str(workspace),
        )
        for step in job["steps"]:
            uses = step.get("uses", "").split("@")[0]
            paths = {
                key: str(value).replace("${{ runner.temp }}", str(temp))
                for key, value in step.get("with", {}).items()
            }
            if uses == "actions/checkout":
                checkout(setting, workspace)
            elif uses == "actions/upload-artifact":
                (artifacts / paths["name"]).mkdir(parents=True)
                shutil.copy(paths["path"], artifacts / paths["name"])
            elif uses == "actions/download-artifact":
                shutil.copytree(artifacts / paths["name"], paths["path"])
            elif step.get("run") == "make install":
                installed(workspace)
            elif "run" in step:
                given = repository_secrets or "environment" in job
                step_env = {
                    **env,
                    **{key: secret(value, given) for key, value in step.get("env", {}).items()},
                }
                cwd = step.get("working-directory", str(workspace))
                cwd = cwd.replace("${{ runner.temp }}", str(temp))
                done = bash(step["run"], Path(cwd), step_env)
                output += done.stdout + done.stderr
                if done.returncode != 0:
                    return done.returncode, output
    return 0, output


def secret(expression: str, given: bool) -> str:
    """What GitHub puts in a step's env for ``expression``: a secret, or whether it is set."""
    if "!= ''" in expression:
        return str(given).lower()
    return GITHUB_TOKEN if given else ""


def run_gitlab(setting: dict[str, Path], unscoped: dict[str, str] | None = None) -> tuple[int, str]:
    """The two template-update jobs, as a schedule runs them, with GitLab's variables;
    ``unscoped`` are variables stored without an environment scope (every job has them)."""
    project = setting["project"]
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    run = project.parent / "pipeline"
    redirect = run / "gitconfig"
    redirect.parent.mkdir()
    redirect.write_text(
        f'[url "{setting["origin"]}"]\n\tinsteadOf = {GITLAB_REMOTE.format(token=GITLAB_TOKEN)}\n'
    )
    variables = {
        "CI_DEFAULT_BRANCH": "main",
        "CI_SERVER_HOST": "gitlab.example",
        "CI_PROJECT_PATH": "group/churn",
        "CI_COMMIT_SHA": git(setting["origin"], "rev-parse", "main").strip(),
        **(unscoped or {}),
    }
    output, artifact = "", None
    for name in ("template-update", "template-update-push"):
        job = pipeline[name]
        folder, workspace = run / name, run / name / "build"
        workspace.mkdir(parents=True)
        env = job_env(setting, folder, CI_JOB_NAME=name, CI_PROJECT_DIR=str(workspace))
        env.update(variables)
        if job.get("variables", {}).get("GIT_STRATEGY") != "none":
            checkout(setting, workspace)
            installed(workspace)
        if artifact is not None:
            shutil.copy(artifact, workspace)
        if job.get("environment", {}).get("name") == "template-update":
            # The token, and the remote that holds it, only where it is scoped.
            env["TEMPLATE_UPDATE_TOKEN"] = GITLAB_TOKEN
            env["GIT_CONFIG_GLOBAL"] = str(redirect)
        script = [line for line in job["script"] if "apt-get" not in line]
        done = bash("\n".join(script), workspace, env)
        output += done.stdout + done.stderr
        if done.returncode != 0:
            return done.returncode, output
        kept = job.get("artifacts", {}).get("paths", [])
        artifact = workspace / kept[0] if kept else None
    return 0, output


def branches(origin: Path) -> dict[str, str]:
    listed = git(origin, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
    return dict(line.split() for line in listed.splitlines())


def calls(setting: dict[str, Path], tool: str) -> list[str]:
    """Every call a stand-in recorded, in any job of any run."""
    logs = setting["project"].parent.glob("**/calls.log")
    lines = [line for log in logs for line in log.read_text().splitlines()]
    return [line.split(" ", 1)[1] for line in lines if line.split(" ", 1)[0] == tool]


def hooks_to(marker: Path) -> Callable[[Path], None]:
    """A release edit that renders git hooks into the project's .git/hooks."""

    def plant(repo: Path) -> None:
        hooks = repo / "template" / "{{ '.git' }}" / "hooks"
        hooks.mkdir(parents=True)
        for name in ("post-checkout", "pre-commit", "reference-transaction"):
            (hooks / name).write_text(HOOK.format(marker=marker))
            (hooks / name).chmod(0o755)

    return plant


def code_in_copiers_folder(marker: Path) -> Callable[[Path], None]:
    """A release whose code git runs in copier's own folder: hooks, fsmonitor, a filter.

    It also ships a conflict check that always passes and a `.gitattributes`
    that names its filter, both of which reach the proposed branch.
    """

    def plant(repo: Path) -> None:
        planted = repo / "template" / IN_COPIERS_FOLDER
        (planted / "hooks").mkdir(parents=True)
        (planted / "payload.sh").write_text(PAYLOAD.format(marker=marker))
        (planted / "config").write_text(PLANTED_CONFIG)
        for name in ("pre-commit", "commit-msg", "post-commit", "reference-transaction"):
            (planted / "hooks" / name).write_text(f"#!/bin/sh\nsh .git/payload.sh {name}\n")
            (planted / "hooks" / name).chmod(0o755)
        (repo / "template" / ".gitattributes").write_text("* filter=planted\n")
        (repo / "template/tools/check_conflicts.py").write_text("raise SystemExit(0)\n")

    return plant


def append_to_the_makefile(repo: Path) -> None:
    makefile = repo / "template" / "Makefile.jinja"
    makefile.write_text(makefile.read_text() + "# 1.1.0\n")


def new_contact(repo: Path) -> None:
    """A release that changes the line `our_contact` edits: a conflict."""
    edit(
        repo / "template/SECURITY.md.jinja",
        "**{{ markdown(author_email) }}**",
        "**<{{ markdown(author_email) }}>**",
    )


def our_contact(setting: dict[str, Path]) -> None:
    project = setting["project"]
    edit(project / "SECURITY.md", "**data-science@example.com**", "**us@example.org**")
    commit_all(project, "Our contact")
    git(project, "push", "--quiet", "origin", "main")


def ran_in(marker: Path) -> set[str]:
    """The jobs the release's payload ran in."""
    return (
        {line.split()[0] for line in marker.read_text().splitlines()} if marker.exists() else set()
    )


def what_it_saw(marker: Path) -> str:
    return "".join(dump.read_text() for dump in marker.parent.glob(f"{marker.name}.env.*"))


def test_the_job_that_runs_copier_can_write_nothing_and_holds_no_secret(setting):
    workflow = yaml.safe_load(
        (setting["project"] / ".github/workflows/template-update.yml").read_text()
    )
    update, propose = workflow["jobs"]["update"], workflow["jobs"]["propose"]
    assert update["permissions"] == {"contents": "read"}
    assert not re.search(r"secrets\.|github\.token", yaml.safe_dump(update))
    assert update["needs"] == "secrets"
    assert propose["needs"] == "update"
    assert propose["environment"] == "template-update"
    assert propose["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert not any(
        step.get("uses", "").startswith("actions/setup-python") for step in propose["steps"]
    )


def test_each_release_is_proposed_once_on_a_branch_never_overwritten(setting):
    template, origin = setting["template"], setting["origin"]
    code, output = run_github(setting, 1)
    assert code == 0, output
    assert "Already at the newest release" in output
    assert set(branches(origin)) == {"main"}

    release(template, "1.1.0", append_to_the_makefile)
    code, output = run_github(setting, 2)
    assert code == 0, output
    proposed = branches(origin)["template-update/1.1.0"]
    assert git(origin, "show", "template-update/1.1.0:Makefile").endswith("# 1.1.0\n")
    [create] = [call for call in calls(setting, "gh") if call.startswith("pr create")]
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
    code, output = run_github(setting, 3)
    assert code == 0, output
    assert "template-update/1.1.0 exists" in output
    assert branches(origin)["template-update/1.1.0"] == resolved
    assert len([call for call in calls(setting, "gh") if call.startswith("pr create")]) == 1
    assert calls(setting, "make") == calls(setting, "copier") == []


def test_conflicts_fail_the_job_after_the_pull_request_is_open(setting):
    our_contact(setting)
    release(setting["template"], "1.1.0", new_contact)
    code, output = run_github(setting, 1)
    assert code == 1
    assert "SECURITY.md:6: conflict marker" in output
    assert "template-update/1.1.0" in branches(setting["origin"])
    assert any(call.startswith("pr create") for call in calls(setting, "gh"))


def test_a_release_that_renders_a_git_hook_fails_the_update(setting, tmp_path):
    """Into the project's own .git it cannot write: the update fails, nothing is pushed or run."""
    marker = tmp_path / "hook-ran"

    release(setting["template"], "1.1.0", hooks_to(marker))
    code, output = run_github(setting, 1)
    assert code != 0
    assert "File exists" in output and "/update/.git" in output  # copier could not write there
    assert set(branches(setting["origin"])) == {"main"}
    assert not marker.exists()
    assert calls(setting, "gh") == []


def test_code_a_release_runs_in_copiers_folder_never_reaches_the_token(setting, tmp_path):
    """A conditional `.git` runs in the update job, which holds nothing; not where the token is."""
    marker = tmp_path / "payload-ran"
    our_contact(setting)
    release(setting["template"], "1.1.0", new_contact, code_in_copiers_folder(marker))
    code, output = run_github(setting, 1)

    # The attack is real: git ran the release's code in copier's folder...
    assert ran_in(marker) == {"update"}, output
    # ...where there was no token to take and no write permission to use.
    seen = what_it_saw(marker)
    assert "GH_TOKEN" not in seen and GITHUB_TOKEN not in seen
    # Today's conflict check, not the one the release swapped in, fails the job.
    assert code == 1, output
    assert "SECURITY.md:6: conflict marker" in output
    # The job that holds the token ran none of it, and no copier or make; the
    # PATH of its steps is its own.
    assert calls(setting, "make") == calls(setting, "copier") == []
    assert (setting["project"].parent / "run-1/propose/github_path").read_text() == ""
    # What was pushed is the patch: the release's files, never a .git folder.
    pushed = git(setting["origin"], "ls-tree", "-r", "--name-only", "template-update/1.1.0")
    assert git(setting["origin"], "show", "template-update/1.1.0:Makefile") == git(
        setting["origin"], "show", "main:Makefile"
    )
    assert ".gitattributes" in pushed.split()
    assert not any(part == ".git" for name in pushed.split() for part in name.split("/"))


def test_a_patch_that_reaches_into_git_is_refused_where_the_token_is(setting, tmp_path):
    """Whatever the update job hands on, git apply writes nothing outside the tree."""
    release(setting["template"], "1.1.0", append_to_the_makefile)
    workflow = setting["project"] / ".github/workflows/template-update.yml"
    hostile = (
        "diff --git a/.git/hooks/pre-push b/.git/hooks/pre-push\n"
        "new file mode 100755\n--- /dev/null\n+++ b/.git/hooks/pre-push\n"
        "@@ -0,0 +1,2 @@\n+#!/bin/sh\n+touch " + str(tmp_path / "pushed-hook-ran") + "\n"
    )
    # The update job, taken over, hands on a patch of its own.
    edit(
        workflow,
        '> "$RUNNER_TEMP/proposal/update.patch"',
        '> "$RUNNER_TEMP/proposal/update.patch"\n'
        f"          printf '%b' {hostile!r} >> \"$RUNNER_TEMP/proposal/update.patch\"",
    )
    commit_all(setting["project"], "A job taken over")
    git(setting["project"], "push", "--quiet", "origin", "main")
    code, output = run_github(setting, 1)
    assert code != 0
    assert "invalid path '.git/hooks/pre-push'" in output
    assert set(branches(setting["origin"])) == {"main"}
    assert not (tmp_path / "pushed-hook-ran").exists()


def test_the_gitlab_jobs_propose_a_release_once_and_run_none_of_it(gitlab_setting, tmp_path):
    template, origin = gitlab_setting["template"], gitlab_setting["origin"]
    pipeline = yaml.safe_load((gitlab_setting["project"] / ".gitlab-ci.yml").read_text())
    update, push = pipeline["template-update"], pipeline["template-update-push"]
    assert "environment" not in update  # so the token, scoped to it, is not there
    assert push["environment"]["name"] == "template-update"
    assert push["before_script"] == []  # no install where the token is
    assert push["variables"]["GIT_STRATEGY"] == "none"

    release(template, "1.1.0", append_to_the_makefile)
    code, output = run_gitlab(gitlab_setting)
    assert code == 0, output
    proposed = branches(origin)["template-update/1.1.0"]
    assert git(origin, "show", "template-update/1.1.0:Makefile").endswith("# 1.1.0\n")
    shutil.rmtree(gitlab_setting["project"].parent / "pipeline")
    code, output = run_gitlab(gitlab_setting)  # the branch exists: left as it is
    assert code == 0, output
    assert "template-update/1.1.0 exists" in output
    assert branches(origin)["template-update/1.1.0"] == proposed

    marker = tmp_path / "payload-ran"
    our_contact(gitlab_setting)
    release(template, "1.2.0", new_contact, code_in_copiers_folder(marker))
    shutil.rmtree(gitlab_setting["project"].parent / "pipeline")
    code, output = run_gitlab(gitlab_setting)
    assert ran_in(marker) == {"template-update"}, output
    assert GITLAB_TOKEN not in what_it_saw(marker)
    assert calls(gitlab_setting, "make") == calls(gitlab_setting, "copier") == []
    assert code == 1, output
    assert "SECURITY.md:6: conflict marker" in output


def test_a_secret_every_pull_request_could_read_stops_the_update(setting):
    """Stored as a repository secret, the token would reach the CI of the update's
    own pull request, which runs the release's code: nothing runs, nothing is pushed."""
    release(setting["template"], "1.1.0", append_to_the_makefile)
    code, output = run_github(setting, 1, repository_secrets=True)
    assert code == 1
    assert "error: TEMPLATE_UPDATE_TOKEN is a repository or organisation secret," in output
    assert "error: SAFETY_API_KEY is a repository or organisation secret," in output
    assert GITHUB_TOKEN not in output
    assert "Updating to template version" not in output  # copier never ran
    assert set(branches(setting["origin"])) == {"main"}
    assert calls(setting, "gh") == []
    # Stored in their environments, the same run proposes the release.
    code, output = run_github(setting, 2)
    assert code == 0, output
    assert "template-update/1.1.0" in branches(setting["origin"])


def test_the_gitlab_update_refuses_a_secret_that_reaches_every_job(gitlab_setting):
    release(gitlab_setting["template"], "1.1.0", append_to_the_makefile)
    code, output = run_gitlab(gitlab_setting, unscoped={"SAFETY_API_KEY": "planted-key"})
    assert code == 1
    assert "error: SAFETY_API_KEY reaches every job: scope it to its environment." in output
    assert "planted-key" not in output
    assert "Updating to template version" not in output
    assert set(branches(gitlab_setting["origin"])) == {"main"}
