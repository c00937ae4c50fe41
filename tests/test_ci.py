"""CI files, pre-commit and SECURITY.md, checked by the scanners reviewers use.

Static checks on every answer profile: zizmor (offline, pedantic), checkov's
github_actions, gitlab_ci and secrets frameworks, yamllint, detect-secrets,
and the pinning rules themselves.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from commands import TEMPLATE_ROOT, checkov, scanner
from profiles import PROFILES, answers

ALL = pytest.mark.parametrize("profile", list(PROFILES))
# Provider-specific checks run on the profiles that have that provider.
GITHUB = pytest.mark.parametrize(
    "profile", [p for p in PROFILES if answers(p).get("ci_provider", "github") == "github"]
)
GITLAB = pytest.mark.parametrize(
    "profile", [p for p in PROFILES if answers(p).get("ci_provider") == "gitlab"]
)

SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
DIGEST_PIN = re.compile(r"@sha256:[0-9a-f]{64}$")


def stored_answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def workflows(project: Path) -> dict[str, dict]:
    folder = project / ".github" / "workflows"
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yml"))}


@ALL
def test_ci_files_follow_the_answer(rendered, profile):
    project = rendered(profile)
    provider = stored_answers(project)["ci_provider"]
    assert (project / ".github").exists() == (provider == "github")
    assert (project / ".gitlab-ci.yml").exists() == (provider == "gitlab")
    if provider == "github":
        assert set(workflows(project)) == {"ci.yml", "security.yml", "template-update.yml"}


@GITHUB
def test_github_workflows_are_pinned_and_least_privilege(rendered, profile):
    project = rendered(profile)
    for name, workflow in workflows(project).items():
        triggers = workflow[True] if True in workflow else workflow["on"]
        assert not {"pull_request_target", "workflow_run"} & set(triggers), name
        assert "workflow_dispatch" in triggers, name  # every workflow can be run by hand
        assert workflow["permissions"] == {}, name
        assert "concurrency" in workflow, name
        for job_name, job in workflow["jobs"].items():
            if name == "template-update.yml" and job_name == "propose":
                # The one job that writes: never on code from a pull request,
                # and only after the update job, where the owner opted in.
                assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
                assert set(triggers) == {"schedule", "workflow_dispatch"}
                assert job["needs"] == "update"
            elif name == "template-update.yml" and job_name == "secrets":
                assert job["permissions"] == {}
                assert job["if"] == "vars.TEMPLATE_UPDATES == 'true'"  # the first job
            elif name == "template-update.yml":
                assert job["permissions"] == {"contents": "read"}, (name, job_name)
                assert job["needs"] == "secrets"
            else:
                assert job["permissions"] == {"contents": "read"}, (name, job_name)
            assert 0 < job["timeout-minutes"] <= 30, (name, job_name)
            assert job.get("secrets") != "inherit"
            for step in job["steps"]:
                if "uses" in step:
                    assert SHA_PIN.match(step["uses"]), step["uses"]
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
                assert "github.event" not in step.get("run", ""), step
    # Every pin carries the release it is, for the people who read it.
    for path in (project / ".github" / "workflows").glob("*.yml"):
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


@GITHUB
def test_every_secret_is_read_in_an_environment_only(rendered, profile):
    """A repository or organisation secret reaches the CI of every pull request,
    a template update's too (the release's own code): each secret a workflow
    uses is read in a job that names an environment, which may deploy from the
    default branch only; the one other job that names them refuses them."""
    project = rendered(profile)
    read = {}
    for name, workflow in workflows(project).items():
        for job_name, job in workflow["jobs"].items():
            used = set(re.findall(r"secrets\.([A-Za-z0-9_]+)", yaml.safe_dump(job)))
            used -= {"GITHUB_TOKEN"}
            if (name, job_name) == ("template-update.yml", "secrets"):
                assert used == {"TEMPLATE_UPDATE_TOKEN", "SAFETY_API_KEY"}
            elif used:
                read.update(dict.fromkeys(used, job.get("environment")))
                assert job.get("if") == "github.ref == 'refs/heads/main'" or job.get("needs")
    assert read == {"TEMPLATE_UPDATE_TOKEN": "template-update", "SAFETY_API_KEY": "safety"}


@GITHUB
def test_dependabot_covers_every_ecosystem_with_a_cooldown(rendered, profile):
    project = rendered(profile)
    use_docker = stored_answers(project)["use_docker"]
    config = yaml.safe_load((project / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    expected = {"pip", "github-actions"} | ({"docker"} if use_docker else set())
    assert set(ecosystems) == expected
    assert all(u["cooldown"]["default-days"] >= 7 for u in ecosystems.values())
    # One pull request a week per ecosystem: every update of it in one group.
    for name, update in ecosystems.items():
        assert [group["patterns"] for group in update["groups"].values()] == [["*"]], name


@GITHUB
def test_the_image_job_keeps_the_sboms_as_an_artifact(rendered, profile):
    project = rendered(profile)
    jobs = workflows(project)["ci.yml"]["jobs"]
    if not stored_answers(project)["use_docker"]:
        assert "image" not in jobs
        return
    steps = jobs["image"]["steps"]
    runs = [step.get("run") for step in steps]
    assert runs.index("make docker-build") < runs.index("make sbom")
    upload = steps[-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "build/sbom/"
    assert upload["with"]["if-no-files-found"] == "error"


@GITLAB
def test_gitlab_pipeline_pins_images_and_runs_the_same_gates(rendered, profile):
    project = rendered(profile)
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    assert DIGEST_PIN.search(pipeline["default"]["image"])
    scripts = [
        line for job in pipeline.values() if isinstance(job, dict) for line in job.get("script", [])
    ]
    for gate in ("make lint", "make test", "make audit-safety", "make sbom"):
        assert gate in scripts, gate
    # safety once per pipeline: `make audit` runs it too, so there without the key.
    assert pipeline["audit"]["script"] == ["env -u SAFETY_API_KEY make audit"]
    assert scripts.count("make audit-safety") == 1
    # What that line does with a key GitLab set: the gate skips the scan.
    skipped = subprocess.run(
        ["env", "-u", "SAFETY_API_KEY", "make", "-o", ".venv/.installed", "audit-safety"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "SAFETY_API_KEY": "planted-key"},
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "safety: skipped: SAFETY_API_KEY is not set" in skipped.stdout
    assert pipeline["sbom"]["artifacts"]["paths"] == ["build/sbom/"]
    assert "SAFETY_API_KEY" not in json.dumps(pipeline["variables"])


@GITLAB
def test_gitlab_secrets_reach_only_the_job_and_step_that_use_them(rendered, profile, tmp_path):
    """Each secret is scoped to one job's environment, and the installs never see it."""
    project = rendered(profile)
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    environments = {
        name: job["environment"]["name"]
        for name, job in pipeline.items()
        if isinstance(job, dict) and "environment" in job
    }
    assert environments == {"safety": "safety", "template-update-push": "template-update"}
    assert all(pipeline[name]["environment"]["action"] == "prepare" for name in environments)
    # The install every job runs first, run for real with both secrets set:
    # apt-get and make (which runs pip and the project's build) see neither.
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for tool in ("apt-get", "make"):
        (stubs / tool).write_text(f'#!/bin/sh\nenv > "{tmp_path}/{tool}.$$"\n')
        (stubs / tool).chmod(0o755)
    secrets = {"SAFETY_API_KEY": "planted-safety-key", "TEMPLATE_UPDATE_TOKEN": "planted-token"}
    done = subprocess.run(
        ["sh", "-e", "-c", "\n".join(pipeline["default"]["before_script"])],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **secrets, "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stderr
    seen = [dump.read_text() for dump in tmp_path.glob("*.*")]
    assert len(seen) == 3  # apt-get twice, make once
    assert not [value for value in secrets.values() for env in seen if value in env]
    assert "SAFETY_API_KEY" not in json.dumps(pipeline["variables"])


def zizmor(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [scanner("zizmor"), "--offline", "--persona", "pedantic", "--format", "json", ".github"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


@GITHUB
def test_zizmor_finds_nothing_offline_and_catches_a_planted_flaw(rendered, profile, tmp_path):
    project = rendered(profile)
    done = zizmor(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == []

    # The same files with a tag instead of a SHA and a persisted token must fail.
    planted = tmp_path / "planted"
    shutil.copytree(project / ".github", planted / ".github")
    ci = planted / ".github" / "workflows" / "ci.yml"
    text = re.sub(r"actions/checkout@[0-9a-f]{40} # \S+", "actions/checkout@v5", ci.read_text())
    ci.write_text(text.replace("persist-credentials: false", "fetch-depth: 1"))
    found = {finding["ident"] for finding in json.loads(zizmor(planted).stdout)}
    assert {"unpinned-uses", "artipacked"} <= found


@ALL
def test_checkov_fails_no_check(rendered, profile):
    project = rendered(profile)
    reports, done = checkov(
        project, "--directory", ".", "--framework", "secrets", "github_actions", "gitlab_ci"
    )
    failed = [
        (check["check_id"], check["file_path"])
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert failed == []
    assert done.returncode == 0, done.stderr
    provider = stored_answers(project)["ci_provider"]
    if provider != "none":
        framework = {"github": "github_actions", "gitlab": "gitlab_ci"}[provider]
        passed = [r["summary"]["passed"] for r in reports if r.get("check_type") == framework]
        assert passed and passed[0] > 0, f"checkov ran no {framework} check"


@ALL
def test_yamllint_passes(rendered, profile):
    done = subprocess.run(
        [
            scanner("yamllint"),
            "--strict",
            "--config-file",
            str(TEMPLATE_ROOT / "tests/yamllint.yml"),
            ".",
        ],
        cwd=rendered(profile),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


@ALL
def test_detect_secrets_finds_nothing_beyond_the_baseline(rendered, profile):
    project = rendered(profile)
    baseline = json.loads((project / ".secrets.baseline").read_text())
    assert baseline["results"] == {}
    files = [
        str(p.relative_to(project))
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.parts
    ]
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("detect-secrets-hook")),
            "--baseline",
            ".secrets.baseline",
            *files,
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


@ALL
def test_pre_commit_hooks_are_local_and_use_the_locked_tools(rendered, profile):
    project = rendered(profile)
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    expected = {
        "ruff-check",
        "ruff-format",
        "bandit",
        "detect-secrets",
        "check-merge-conflict",
        "check-added-large-files",
        "no-rej-files",
        "lock-form",
        "mypy",
        "import-linter",
        "conflicts",
        "config-files",
    }
    if stored_answers(project)["ci_provider"] == "github":
        expected |= {"zizmor", "zizmor-actions"}
        workflows_only = re.compile(hooks["zizmor"]["files"])
        assert workflows_only.search(".github/workflows/ci.yml")
        assert workflows_only.search(".github/actions/setup/action.yaml")
        assert not workflows_only.search("src/pkg/github.py")
        # A composite action anywhere else is audited when it changes.
        actions = re.compile(hooks["zizmor-actions"]["files"])
        assert actions.search("actions/setup/action.yml")
        assert actions.search("action.yaml")
        assert not actions.search("src/pkg/reaction.yml")
        for hook in ("zizmor", "zizmor-actions"):
            assert "--no-config" in hooks[hook]["entry"].split(), hook
            assert "--persona pedantic" in hooks[hook]["entry"], hook
        assert "--collect=all" in hooks["zizmor"]["entry"].split()
    # The whole package at once, when any of its files or its settings change.
    typed = re.compile(hooks["mypy"]["files"])
    assert typed.search("src/pkg/model.py") and typed.search("pyproject.toml")
    assert hooks["mypy"]["pass_filenames"] is False
    # The same settings as make lint, and a stray settings file refused on every commit.
    assert "--config-file pyproject.toml" in hooks["mypy"]["entry"]
    for hook in ("ruff-check", "ruff-format"):
        assert "--config pyproject.toml" in hooks[hook]["entry"], hook
    assert hooks["config-files"]["always_run"] is True
    assert hooks["config-files"]["pass_filenames"] is False
    # The import contracts of pyproject.toml, when the package, a tool or the settings change.
    contracts = re.compile(hooks["import-linter"]["files"])
    assert contracts.search("src/pkg/report.py") and contracts.search("tools/keygen.py")
    assert contracts.search("pyproject.toml") and not contracts.search("tests/test_data.py")
    assert hooks["import-linter"]["entry"].endswith(
        "lint-imports --no-cache --no-logo pyproject.toml"
    )
    # Git's copies and ignored *.rej files, whatever the commit touches.
    assert hooks["conflicts"]["always_run"] is True
    assert hooks["conflicts"]["entry"] == ".venv/bin/python -I -S tools/check_conflicts.py"
    if stored_answers(project)["use_notebooks"]:
        expected |= {"nbstripout", "notebook-outputs"}
    else:
        expected.add("no-notebooks")
    assert set(hooks) == expected
    # A notebook anywhere, however its suffix is spelled; the baseline itself too.
    notebooks = re.compile(hooks.get("nbstripout", hooks.get("no-notebooks"))["files"])
    assert notebooks.search("src/pkg/analysis.IPYNB")
    assert "files" not in hooks["detect-secrets"]
    assert "exclude" not in hooks["detect-secrets"]
    # Every lock, uv's included, is checked offline before it is committed.
    locks = re.compile(hooks["lock-form"]["files"])
    for path in ("requirements/base.txt", "requirements/dev.txt", "requirements/uv.txt"):
        assert locks.search(path)
    assert not locks.search("requirements/base.in")
    for hook in hooks.values():
        assert hook["language"] in {"system", "fail"}
        assert "additional_dependencies" not in hook
        if hook["language"] == "system":
            assert hook["entry"].startswith(".venv/bin/"), hook["id"]


@ALL
def test_security_policy_names_a_contact_and_a_timeline(rendered, profile):
    project = rendered(profile)
    policy = (project / "SECURITY.md").read_text()
    assert stored_answers(project)["author_email"] in policy
    for promise in ("within 3 working days", "within 10 working days", "within 90 days"):
        assert promise in policy
