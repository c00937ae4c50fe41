"""Every `copier update` path a project can take, through the copier CLI, never with --trust.

A throwaway copy of this template is released three times, from the working
tree, in a temporary git repository (CI's clone need hold no tag):

- OLD lacks two hardening changes (a redaction rule, the lock-form check in
  `make install`) and ships `tools/wheel_check.py`, which later releases
  rename to `tools/check_wheel.py`;
- NEXT is the working tree plus a new question with a default;
- NEWEST changes template-owned files, adds a dependency to `base.in`, adds
  CONTRIBUTING.md, rewrites a line of SECURITY.md, and changes every file a
  project owns (locks, baseline, the extension files, the example's modules,
  notebook and tests), which must not reach projects;
- PATCH rewrites that line of SECURITY.md again.

An owner makes a project at OLD and edits it the way owners do; updates
must bring every hardening change, keep every owner edit, and leave
owner-owned files alone.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from commands import (
    AS_INSTALLED,
    TEMPLATE_ROOT,
    check,
    commit_all,
    copier_cli,
    git,
    package_of,
    pre_commit,
    python_path,
    run_in,
    run_make,
)
from osv_server import REQUESTS_VERIFY_FALSE, serving
from profiles import answer, answers
from releases import edit, made_from, release, update

OLD, NEXT, NEWEST, PATCH = "1.0.0", "1.1.0", "1.2.0", "1.2.1"
TEMPLATE_BIN = Path(sys.executable).parent

HARDENING = "template/src/{{ package_name }}/hardening"
AWS_RULE = '    (re.compile(rf"(?P<keep>){_AWS_KEY_ID}"), _keep(MASK)),\n'
LOCK_FORM_CHECK = "\t$(PYTHON) tools/check_lock_hashes.py --offline requirements/dev.txt\n"
UV_LOCK_FORM_CHECK = (
    "\t$(PYTHON) tools/check_lock_hashes.py --offline requirements/dev.txt requirements/uv.txt\n"
)
NEWEST_MARK = "# Hardened further in 1.2.0\n"
SECURITY_LINE = "**{{ markdown(author_email) }}**, not in a public issue or pull request.\n"
NEWEST_SECURITY_LINE = (
    "**{{ markdown(author_email) }}** (or a private security advisory), never in public.\n"
)
PATCH_SECURITY_LINE = (
    "**{{ markdown(author_email) }}** (or a private advisory), never in a public issue.\n"
)
OWNER_SECURITY_LINE = "**security@churn.example**, not in a public issue or pull request.\n"
OWNER_README_LINE = "Owned by the churn squad; ask in #churn before changing the model.\n"

EXAMPLE_MODULES = (
    "__init__",
    "__main__",
    "data",
    "schema",
    "features",
    "model",
    "pipeline",
    "paths",
    "figures",
)
EXAMPLE_TESTS = (
    "conftest",
    "source_data",
    "test_data",
    "test_figures",
    "test_pipeline",
    "test_notebooks_run",
)

# Files a project owns: an update never writes them, even when the template's
# copy changed (NEWEST changes each).
OWNED = [
    ".env",
    "requirements/base.txt",
    "requirements/dev.txt",
    "requirements/uv.txt",
    ".secrets.baseline",
    "src/{package}/config.py",
    "project.mk",
    ".gitlab/project-ci.yml",
    # The example: the owner's from the first commit.
    *(f"src/{{package}}/{name}.py" for name in EXAMPLE_MODULES),
    "notebooks/01-explore-data.ipynb",
    *(f"tests/{name}.py" for name in EXAMPLE_TESTS),
]


# -- the throwaway releases ---------------------------------------------------


def old_release(template: Path) -> None:
    edit(template / HARDENING / "redaction.py", AWS_RULE, "")
    edit(template / "template" / "Makefile.jinja", LOCK_FORM_CHECK, "")
    edit(template / "template" / "Makefile.jinja", UV_LOCK_FORM_CHECK, "")
    tools = template / "template" / "tools"
    (tools / "check_wheel.py.jinja").rename(tools / "wheel_check.py.jinja")
    for path in (template / "template").rglob("*"):
        if path.is_file() and "check_wheel" in path.read_text(errors="ignore"):
            path.write_text(path.read_text().replace("check_wheel", "wheel_check"))


def next_release(template: Path) -> None:
    with (template / "copier.yml").open("a") as config:
        config.write(
            "\ndata_retention_days:\n  type: int\n  default: 30\n"
            "  help: Days raw data may be kept before it is deleted\n"
        )
    edit(
        template / "template" / "README.md.jinja",
        "## Dependencies\n",
        "## Dependencies\n\nRaw data is kept for {{ data_retention_days }} days.\n",
    )


def newest_release(template: Path) -> None:
    next_release(template)
    for path in (template / "template" / "Makefile.jinja", template / HARDENING / "redaction.py"):
        path.write_text(path.read_text() + NEWEST_MARK)
    edit(
        template / "template/requirements/base.in.jinja",
        "pandas>=2.2\n",
        "pandas>=2.2\ntabulate>=0.9\n",
    )
    edit(template / "template/SECURITY.md.jinja", SECURITY_LINE, NEWEST_SECURITY_LINE)
    (template / "template" / "CONTRIBUTING.md").write_text("# Contributing\n\nThe template's.\n")
    # What projects own: none of these changes may reach an existing project.
    owned = [
        template / "template/project.mk.jinja",
        template / "template/src/{{ package_name }}/config.py",
        template / "template/{% if ci_provider == 'gitlab' %}.gitlab{% endif %}/project-ci.yml",
        *(template / "includes" / "locks").rglob("*.txt"),
    ]
    package = template / "template/src/{{ package_name }}"
    example = [
        *(path for path in package.glob("*.py*") if path.name.split(".")[0] in EXAMPLE_MODULES),
        *(path for path in (template / "template/tests").glob("*.py*")),
    ]
    assert len(example) == len(EXAMPLE_MODULES) + len(EXAMPLE_TESTS)
    for path in owned + example:
        path.write_text(path.read_text() + "# changed in 1.2.0\n")
    notebooks = template / "template/{% if use_notebooks %}notebooks{% endif %}"
    edit(notebooks / "01-explore-data.ipynb.jinja", '"nbformat": 4', '"nbformat": 4 ')
    baseline = template / "template" / ".secrets.baseline"
    edit(baseline, '"results": {}', '"results": {} ')


def patch_release(template: Path) -> None:
    newest_release(template)
    edit(template / "template/SECURITY.md.jinja", NEWEST_SECURITY_LINE, PATCH_SECURITY_LINE)


@pytest.fixture(scope="session")  # once per worker, however xdist interleaves modules
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("releases") / "template"
    release(repo, OLD, old_release)
    release(repo, NEXT, next_release)
    release(repo, NEWEST, newest_release)
    release(repo, PATCH, patch_release)
    return repo


# -- projects and their owners -----------------------------------------------


def make_project(releases: Path, where: Path, profile: str, tag: str = OLD) -> Path:
    return made_from(releases, where / "project", tag, answers(profile))


def lock_tools(project: Path) -> list[str]:
    """`make lock` variables that use the template's own pip-compile or uv, so
    a project relocks without an install of its own."""
    stored = yaml.safe_load((project / ".copier-answers.yml").read_text())
    if stored.get("lock_backend") == "uv":
        return [
            f"UV={TEMPLATE_BIN / 'uv'}",
            f"PYTHON={python_path(stored['python_version'])}",
            f"CHECK_HASHES={TEMPLATE_BIN / 'python'} tools/check_lock_hashes.py",
        ]
    return [f"LOCK_TOOL={TEMPLATE_BIN / 'pip-compile'}"]


def owner_edits(project: Path, *lock_variables: str) -> None:
    """What owners do between updates: each through the place the docs give for it."""
    package = package_of(project)
    base_in = project / "requirements" / "base.in"
    base_in.write_text(base_in.read_text() + "tomli-w>=1.0\n")
    check(run_make(project, "lock", *lock_variables))
    (project / "src" / package / "report.py").write_text(
        '"""The owner\'s own module."""\n\n\ndef title() -> str:\n    return "Churn report"\n'
    )
    edit(
        project / "src" / package / "config.py",
        "from typing import ClassVar\n",
        "from typing import ClassVar\n\nfrom pydantic import SecretStr\n",
    )
    edit(
        project / "src" / package / "config.py",
        "    redaction_patterns:",
        "    warehouse_url: SecretStr | None = None\n\n    redaction_patterns:",
    )
    (project / ".env.example").write_text(
        (project / ".env.example").read_text() + "WAREHOUSE_URL=\n"
    )
    (project / "project.mk").write_text(
        (project / "project.mk").read_text()
        + "\n.PHONY: report\nreport: ## The owner's report\n\t@echo report\n"
    )
    readme = project / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    readme.write_text("".join([*lines[:3], OWNER_README_LINE, "\n", *lines[3:]]))
    commit_all(project, "Owner's edits")
    check(run_make(project, "env"))
    env_file = project / ".env"
    env_file.write_text(env_file.read_text() + "WAREHOUSE_URL=https://warehouse.example\n")


def owned_files(project: Path) -> dict[str, bytes]:
    package = package_of(project)
    paths = (project / path.format(package=package) for path in OWNED)
    return {str(path.relative_to(project)): path.read_bytes() for path in paths if path.exists()}


def conflicts(project: Path) -> subprocess.CompletedProcess[str]:
    """The project's own conflict gate, as `make audit-conflicts` runs it."""
    return run_in(project, sys.executable, "tools/check_conflicts.py")


def assert_updated(project: Path, tag: str, owned: dict[str, bytes]) -> None:
    package = package_of(project)
    stored = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert stored["_commit"] == tag
    # Every hardening change since OLD arrived, and the renamed tool moved.
    assert AWS_RULE in (project / "src" / package / "hardening" / "redaction.py").read_text()
    makefile = (project / "Makefile").read_text()
    assert (UV_LOCK_FORM_CHECK if stored["lock_backend"] == "uv" else LOCK_FORM_CHECK) in makefile
    assert (project / "tools" / "check_wheel.py").is_file()
    assert not (project / "tools" / "wheel_check.py").exists()
    assert "wheel_check" not in makefile
    # NEXT's question took its default.
    assert stored["data_retention_days"] == 30
    readme = (project / "README.md").read_text()
    assert "Raw data is kept for 30 days." in readme
    if tag == NEWEST:
        assert makefile.endswith(NEWEST_MARK)
        assert "tabulate>=0.9" in (project / "requirements" / "base.in").read_text()
        assert (project / "CONTRIBUTING.md").is_file()
    # Every owner edit survived.
    assert OWNER_README_LINE in readme
    assert (project / "src" / package / "report.py").is_file()
    assert "warehouse_url: SecretStr" in (project / "src" / package / "config.py").read_text()
    assert "WAREHOUSE_URL=\n" in (project / ".env.example").read_text()
    assert "report: ## The owner's report" in (project / "project.mk").read_text()
    assert "tomli-w>=1.0" in (project / "requirements" / "base.in").read_text()
    # Files the project owns are exactly as the owner left them.
    assert owned_files(project) == owned
    # Nothing left to resolve.
    checked = conflicts(project)
    assert checked.returncode == 0, checked.stderr
    assert not list(project.rglob("*.rej"))


def walk_update_paths(project: Path) -> None:
    """Update to NEXT, then NEWEST; and again from the owner's commit straight to NEWEST."""
    owner_commit = git(project, "rev-parse", "HEAD").strip()
    owned = owned_files(project)

    check(update(project, NEXT))
    assert_updated(project, NEXT, owned)
    commit_all(project, f"Update to {NEXT}")
    check(update(project, NEWEST))
    assert_updated(project, NEWEST, owned)
    stepwise = {path: project.joinpath(path).read_bytes() for path in tracked(project)}

    git(project, "reset", "--quiet", "--hard", owner_commit)
    git(project, "clean", "-fdq")  # untracked, not ignored: .env and .venv stay
    check(update(project, NEWEST))
    assert_updated(project, NEWEST, owned)
    # Skipping a release ends where going through it does.
    direct = {path: project.joinpath(path).read_bytes() for path in tracked(project)}
    assert direct == stepwise


def tracked(project: Path) -> list[str]:
    """Every file in the work tree that git tracks or would track."""
    listed = git(project, "ls-files", "--cached", "--others", "--exclude-standard")
    return sorted(path for path in set(listed.split()) if (project / path).is_file())


@pytest.mark.parametrize("profile", ["py313-bsd-no-ci", "proprietary-github-slim"])
def test_every_update_path_keeps_owner_edits_and_brings_every_fix(releases, tmp_path, profile):
    project = make_project(releases, tmp_path, profile)
    owner_edits(project, *lock_tools(project))
    walk_update_paths(project)


# One profile: its install and tests are the lifecycle test's own, and what
# this adds (a stale lock flagged after an update, mended by `make lock`) does
# not depend on the answers. Its `make audit` stands for the py312 lifecycle's.
@pytest.mark.slow(400)
@pytest.mark.parametrize("profile", ["py312-apache-gitlab-slim"])
def test_updated_project_passes_its_own_tests_and_audit(releases, tmp_path, monkeypatch, profile):
    """A real install: the lock check flags the lock NEWEST made stale (and the
    service, turned on through an update), `make lock` mends it, and the
    project's `make test` (the service's tests with it) and `make audit` pass."""
    python = python_path(str(answer(profile, "python_version")))
    project = make_project(releases, tmp_path, profile)
    # Any make call may reinstall (an update changes the lock and pyproject.toml).
    monkeypatch.setenv("PYTHON", python)
    check(run_make(project, "install"))
    owner_edits(project)
    walk_update_paths(project)
    commit_all(project, f"Update to {NEWEST}")
    # The service turned on by an update, as its upgrade notes say: the update,
    # `make keygen` for SERVICE_SECRET_KEY, `make lock` for its libraries.
    package = package_of(project)
    check(
        copier_cli(
            "update", "--defaults", "--vcs-ref", NEWEST, "--data", "use_service=true", cwd=project
        )
    )
    assert (project / "src" / package / "hardening" / "service" / "app.py").is_file()
    assert (project / "src" / package / "serving.py").is_file()
    assert "fastapi" in (project / "requirements" / "base.in").read_text()
    assert "SERVICE_SECRET_KEY" not in (project / ".env").read_text()
    check(run_make(project, "keygen"))
    assert re.search(r"(?m)^SERVICE_SECRET_KEY=\S{40,}$", (project / ".env").read_text())
    commit_all(project, "Serve the model")

    stale = run_make(project, "lock-check")
    assert stale.returncode != 0
    assert "requirements/base.txt is stale; run 'make lock'" in stale.stderr
    check(run_make(project, "lock"))
    assert "tabulate==" in (project / "requirements" / "base.txt").read_text()
    assert "fastapi==" in (project / "requirements" / "base.txt").read_text()
    commit_all(project, "make lock")
    tested = check(run_make(project, "test"))
    # pytest's last line: only passes (test names may hold "error" or "failed").
    assert re.search(r"(?m)^=+ \d+ passed in [\d.]+s", tested), tested[-2000:]
    # `make audit` runs the lock check too: the mended lock passes it.
    with serving([REQUESTS_VERIFY_FALSE]) as osv:
        check(run_make(project, "audit", env=osv.environment()))
    conflict_stops_the_audit_and_the_hooks(project)


def conflict_stops_the_audit_and_the_hooks(project: Path) -> None:
    """The owner rewrote a line PATCH rewrites too: until the markers are gone,
    neither `make audit` nor pre-commit passes."""
    security = project / "SECURITY.md"
    security.write_text(
        security.read_text().replace(
            NEWEST_SECURITY_LINE.replace(
                "{{ markdown(author_email) }}", "data-science@example.com"
            ),
            OWNER_SECURITY_LINE,
        )
    )
    commit_all(project, "Our own security contact")
    check(update(project, PATCH))
    assert "<<<<<<< before updating\n" + OWNER_SECURITY_LINE in security.read_text()

    audit = run_make(project, "audit")
    assert audit.returncode != 0
    assert "SECURITY.md:6: conflict marker" in audit.stderr
    hooks = pre_commit(project)
    assert hooks.returncode != 0
    assert re.search(r"no merge conflict markers\.+Failed", hooks.stdout), hooks.stdout

    security.write_text(
        re.sub(
            r"<<<<<<< before updating\n(.*\n)=======\n.*\n>>>>>>> after updating\n",
            r"\1",
            security.read_text(),
        )
    )
    check(run_make(project, "audit-conflicts"))


def test_same_lines_edited_on_both_sides_conflict_as_the_docs_say(releases, tmp_path):
    """copier update exits 0 with markers in the file; the gate and pre-commit refuse them."""
    project = make_project(releases, tmp_path, "default")
    edit(
        project / "SECURITY.md",
        "**data-science@example.com**, not",
        "**security@churn.example**, not",
    )
    commit_all(project, "Our own security contact")

    check(update(project, NEWEST))
    expected = (
        "<<<<<<< before updating\n"
        + OWNER_SECURITY_LINE
        + "=======\n"
        + NEWEST_SECURITY_LINE.replace("{{ markdown(author_email) }}", "data-science@example.com")
        + ">>>>>>> after updating\n"
    )
    assert expected in (project / "SECURITY.md").read_text()
    refused = conflicts(project)
    assert refused.returncode == 1
    assert "SECURITY.md:6: conflict marker" in refused.stderr
    # `make audit` runs the same gate first, before any other.
    audit = run_make(project, "-n", *AS_INSTALLED, "audit")
    assert audit.stdout.splitlines()[0] == ".venv/bin/python tools/check_conflicts.py"
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    [hook] = [
        h for repo in hooks["repos"] for h in repo["hooks"] if h["id"] == "check-merge-conflict"
    ]
    assert hook["entry"].endswith("--assume-in-merge")

    # Resolved: the owner keeps their contact and the template's wording.
    text = (project / "SECURITY.md").read_text().replace(expected, OWNER_SECURITY_LINE)
    (project / "SECURITY.md").write_text(text)
    assert conflicts(project).returncode == 0


def test_a_file_added_by_owner_and_template_is_merged_as_a_conflict(releases, tmp_path):
    """Both added CONTRIBUTING.md: the lines they share merge, the others conflict."""
    project = make_project(releases, tmp_path, "default")
    (project / "CONTRIBUTING.md").write_text("# Contributing\n\nOurs: open a merge request.\n")
    commit_all(project, "Our contributing guide")

    check(update(project, NEWEST))
    assert (project / "CONTRIBUTING.md").read_text() == (
        "# Contributing\n\n"
        "<<<<<<< before updating\n"
        "Ours: open a merge request.\n"
        "=======\n"
        "The template's.\n"
        ">>>>>>> after updating\n"
    )
    refused = conflicts(project)
    assert refused.returncode == 1
    assert "CONTRIBUTING.md:3: conflict marker" in refused.stderr


@pytest.mark.parametrize(
    ("profile", "change", "added", "removed"),
    [
        (
            "proprietary-github-slim",
            "use_docker=true",
            ["Dockerfile", "compose.yaml", ".dockerignore", ".hadolint.yaml"],
            [],
        ),
        (
            "default",
            "ci_provider=gitlab",
            [".gitlab-ci.yml"],
            [".github/workflows/ci.yml", ".github/dependabot.yml", ".gitlab/project-ci.yml"],
        ),
        (
            "py312-apache-gitlab-slim",
            "ci_provider=github",
            [".github/workflows/ci.yml", ".github/workflows/template-update.yml"],
            [".gitlab-ci.yml"],
        ),
        ("default", "python_version=3.12", [], []),
    ],
)
def test_changing_an_answer_adds_and_removes_the_right_files(
    releases, tmp_path, profile, change, added, removed
):
    project = make_project(releases, tmp_path, profile)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n" + OWNER_README_LINE)
    owner_workflow = project / ".github" / "workflows" / "owner.yml"
    owner_workflow.parent.mkdir(parents=True, exist_ok=True)
    owner_workflow.write_text("# the owner's own workflow\n")
    # The owner's GitLab jobs: updates never create nor delete this file, even
    # one that leaves GitLab.
    owner_jobs = project / ".gitlab" / "project-ci.yml"
    if owner_jobs.exists():
        owner_jobs.write_text(owner_jobs.read_text() + "owner-job:\n  script: [make report]\n")
    jobs_before = owner_jobs.read_text() if owner_jobs.exists() else None
    commit_all(project, "Owner's edits")
    locks = {lock: (project / lock).read_bytes() for lock in OWNED[1:3]}

    check(copier_cli("update", "--defaults", "--vcs-ref", NEWEST, "--data", change, cwd=project))
    key, value = change.split("=")
    stored = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert str(stored[key]).lower() == value
    for path in added:
        assert (project / path).is_file(), path
    for path in removed:
        assert not (project / path).exists(), path
    assert OWNER_README_LINE in readme.read_text()
    assert owner_workflow.read_text() == "# the owner's own workflow\n"
    assert (owner_jobs.read_text() if owner_jobs.exists() else None) == jobs_before
    # Locks are the owner's: a new Python needs `make lock`, never a silent swap.
    assert {lock: (project / lock).read_bytes() for lock in locks} == locks
    if key == "python_version":
        assert "PYTHON_VERSION := 3.12" in (project / "Makefile").read_text()
        assert 'requires-python = ">=3.12"' in (project / "pyproject.toml").read_text()
    if key == "use_docker":
        assert "docker-build:" in (project / "Makefile").read_text()
    assert conflicts(project).returncode == 0


def test_the_example_is_never_merged_into_restored_or_deleted_by_an_update(releases, tmp_path):
    """Edited where NEWEST changes it too, deleted, or kept while notebooks are
    turned off: the example is the owner's, and no update writes it."""
    project = make_project(releases, tmp_path, "default")
    package = package_of(project)
    edited = [f"src/{package}/{name}.py" for name in ("data", "pipeline", "model", "__main__")]
    edited += ["tests/test_data.py", "tests/test_pipeline.py", "notebooks/01-explore-data.ipynb"]
    for relative in edited:  # at the end, where NEWEST appends its own line
        path = project / relative
        path.write_text(path.read_text() + "# the owner's line\n")
    deleted = [f"src/{package}/figures.py", "tests/test_figures.py", "tests/conftest.py"]
    deleted += ["tests/test_notebooks_run.py"]
    for relative in deleted:
        (project / relative).unlink()
    commit_all(project, "The owner's example")
    before = {relative: (project / relative).read_bytes() for relative in edited}

    check(update(project, NEWEST))
    assert {relative: (project / relative).read_bytes() for relative in edited} == before
    assert [relative for relative in deleted if (project / relative).exists()] == []
    assert conflicts(project).returncode == 0
    # The hardening change arrived all the same.
    assert (
        (project / "src" / package / "hardening" / "redaction.py").read_text().endswith(NEWEST_MARK)
    )
    commit_all(project, f"Update to {NEWEST}")
    check(copier_cli("update", "--defaults", "--data", "use_notebooks=false", cwd=project))
    assert (project / "notebooks/01-explore-data.ipynb").read_bytes() == before[edited[-1]]


def drop_commit(project: Path) -> None:
    answers_file = project / ".copier-answers.yml"
    answers_file.write_text(re.sub(r"(?m)^_commit: .*\n", "", answers_file.read_text()))
    commit_all(project, "Lose _commit")


def make_dirty(project: Path) -> None:
    (project / "notes.txt").write_text("not committed yet\n")


@pytest.mark.parametrize(
    ("prepare", "options", "message"),
    [
        (make_dirty, ("--vcs-ref", NEWEST), "dirty"),
        (drop_commit, ("--vcs-ref", NEWEST), "cannot obtain old template references"),
        (None, ("--vcs-ref", OLD), "downgrad"),
        (None, ("--vcs-ref", NEWEST, "--data", "author_email=not-an-email"), "author_email"),
        (None, ("--vcs-ref", NEWEST, "--data", "package_name=Bad-Name"), "package_name"),
    ],
    ids=["dirty-tree", "no-commit-in-answers", "downgrade", "invalid-email", "invalid-package"],
)
def test_a_refused_update_changes_nothing(releases, tmp_path, prepare, options, message):
    project = make_project(releases, tmp_path, "default", tag=NEXT)
    if prepare is not None:
        prepare(project)
    head = git(project, "rev-parse", "HEAD")
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    before = {path: (project / path).read_bytes() for path in tracked(project)}

    done = copier_cli("update", "--defaults", *options, cwd=project)
    assert done.returncode != 0
    assert message in done.stderr.lower() or message in done.stderr
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain", "--untracked-files=all") == status
    assert {path: (project / path).read_bytes() for path in tracked(project)} == before


def test_an_update_to_the_current_release_changes_nothing(releases, tmp_path):
    project = make_project(releases, tmp_path, "default", tag=NEWEST)
    check(update(project, NEWEST))
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""


# -- across the move of the hardening code into hardening/ ------------------


def layout_leftovers(project: Path) -> subprocess.CompletedProcess[str]:
    """What the project's tests/hardening/test_layout.py finds left from 1.0.0."""
    return run_in(
        project,
        sys.executable,
        "-c",
        "import sys; sys.path.insert(0, 'tests/hardening'); import test_layout; "
        "print('\\n'.join(test_layout.leftovers()))",
    )


# The commit of release 1.0.0, the last with the hardening modules beside the
# pipeline's: from git history, not from a tag, which a CI clone may lack.
FLAT_LAYOUT_RELEASE = "35b2fed"
OLD_SETTINGS_FIELD = "    # the owner's own setting\n    warehouse_url: SecretStr | None = None\n"


@pytest.fixture(scope="module")
def restructured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Two releases: 1.0.0 (flat layout, from history) and 2.0.0 (the working tree)."""
    repo = tmp_path_factory.mktemp("restructure") / "template"
    repo.mkdir()
    archive = subprocess.run(
        ["git", "archive", FLAT_LAYOUT_RELEASE], cwd=TEMPLATE_ROOT, capture_output=True, check=False
    )
    assert archive.returncode == 0, (
        f"release 1.0.0 ({FLAT_LAYOUT_RELEASE}) is not in this clone's history; "
        f"clone without --depth: {archive.stderr.decode()}"
    )
    subprocess.run(["tar", "-x", "-C", str(repo)], input=archive.stdout, check=True)
    commit_all(repo, "Release 1.0.0")
    git(repo, "tag", "1.0.0")
    release(repo, "2.0.0")
    yield repo


def test_a_project_made_before_the_hardening_moved_keeps_its_edits(restructured, tmp_path):
    project = made_from(restructured, tmp_path / "project", "1.0.0", answers("default"))
    package = project / "src" / "churn_model"
    edit(
        package / "settings.py",
        "    metrics_webhook_token: SecretStr | None = None\n",
        "    metrics_webhook_token: SecretStr | None = None\n" + OLD_SETTINGS_FIELD,
    )
    edit(package / "model.py", "max_iter=1000", "max_iter=5000")
    webhook = package / "webhook.py"  # a licence header above the old docstring
    webhook.write_text("# SPDX-License-Identifier: MIT\n" + webhook.read_text())
    commit_all(project, "Owner's edits, in the old layout")
    command_line = (package / "__main__.py").read_bytes()

    check(copier_cli("update", "--skip-answered", "--defaults", "--vcs-ref", "2.0.0", cwd=project))
    # The new layout arrived ...
    assert (package / "hardening" / "settings.py").is_file()
    assert (package / "config.py").is_file()
    # The command line is the owner's now: an update leaves it as it was.
    assert (package / "__main__.py").read_bytes() == command_line
    # ... and the owner's edits are where they were, never deleted.
    assert OLD_SETTINGS_FIELD in (package / "settings.py").read_text()
    assert "max_iter=5000" in (package / "model.py").read_text()
    assert conflicts(project).returncode == 0
    # The project's own test names every file left from the old layout.
    left = check(layout_leftovers(project)).split()
    assert left == [
        "src/churn_model/settings.py",
        "src/churn_model/redaction.py",
        "src/churn_model/logging_setup.py",
        "src/churn_model/model_store.py",
        "src/churn_model/webhook.py",
        "tests/test_settings.py",
        "tests/test_logging.py",
        "tests/test_model_store.py",
        "tests/test_webhook.py",
        "tests/test_lock_hashes.py",
        "tests/test_secrets_baseline.py",
        "tests/test_notebooks.py",
    ]

    # Once moved out and removed, nothing is left; a module and test of the
    # owner's own that reuse an old name are not leftovers.
    git(project, "rm", "--quiet", *left)
    (package / "webhook.py").write_text('"""Post a run summary to our chat."""\n')
    (project / "tests" / "test_webhook.py").write_text("from churn_model.webhook import post\n")
    assert check(layout_leftovers(project)).split() == []
