"""Every answer profile renders into clean, parseable, lint-free files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from commands import TEMPLATE_ROOT, commit_all, git
from profiles import PROFILES, answer, answers
from rendered_files import parse_structured_files, project_files, ruff_problems

BANDIT = str(Path(sys.executable).with_name("bandit"))
# `${{ ... }}` is a GitHub Actions expression, not leftover Jinja.
JINJA_MARKERS = re.compile(r"(?<!\$)\{\{|\{%|\{#|%\}|#\}")
LICENSE_HEADLINES = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License\n                           Version 2.0, January 2004",
    "BSD-3-Clause": "BSD 3-Clause License",
    "Proprietary": "All rights reserved.",
}

pytestmark = pytest.mark.parametrize("profile", list(PROFILES))


def test_no_template_syntax_left(rendered, profile):
    project = rendered(profile)
    for path in project_files(project):
        relative = path.relative_to(project)
        assert not JINJA_MARKERS.search(str(relative)), relative
        assert not path.name.endswith(".jinja"), relative
        if relative.parent.name == "templates" and relative.parent.parent.name == "service":
            continue  # the service's own pages: Jinja templates it renders at run time
        assert not JINJA_MARKERS.search(path.read_text()), relative


def test_text_files_look_hand_written(rendered, profile):
    project = rendered(profile)
    for path in project_files(project):
        text = path.read_text()
        relative = path.relative_to(project)
        if path.name == ".gitkeep":
            assert text == "", relative
            continue
        assert text.endswith("\n") and not text.endswith("\n\n"), relative
        # Python keeps two blank lines between definitions, in a module and in
        # a Markdown page's python blocks alike; ruff format checks both.
        if path.suffix == ".md":
            text_only = re.sub(r"(?ms)^```python\n.*?^```$", "```", text)
            assert "\n\n\n" not in text_only, relative
        elif path.suffix != ".py":
            assert "\n\n\n" not in text, relative
        assert not re.search(r"[ \t]+\n", text), relative


def test_structured_files_parse(rendered, profile):
    project = rendered(profile)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    expected = answers(profile)
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    assert pyproject["project"]["name"] == package.replace("_", "-")
    assert pyproject["project"]["requires-python"] == f">={expected.get('python_version', '3.11')}"
    read = parse_structured_files(project)
    # pyproject, answers, mkdocs, renovate, pre-commit and the rest: none skipped.
    assert read >= 6
    yaml_files = {p.name for p in project.rglob("*.yaml")}
    assert {".pre-commit-config.yaml"} <= yaml_files


def test_layout_follows_the_answers(rendered, profile):
    project = rendered(profile)
    stored = yaml.safe_load((project / ".copier-answers.yml").read_text())
    package = project / "src" / stored["package_name"]
    for relative in (
        "Makefile",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        ".gitignore",
        "pyproject.toml",
        "requirements/base.in",
        "requirements/dev.in",
        "requirements/base.txt",
        "requirements/dev.txt",
        "data/raw/.gitkeep",
        "data/interim/.gitkeep",
        "data/processed/.gitkeep",
        "data/external/.gitkeep",
        "models/.gitkeep",
        "reports/figures/.gitkeep",
        "tools/check_lock_hashes.py",
        "tools/check_wheel.py",
        "tools/scan_secrets.py",
    ):
        assert (project / relative).is_file(), relative
    for module in ("__init__", "__main__", "config", "data", "features", "model", "pipeline"):
        assert (package / f"{module}.py").is_file(), module
    for module in ("__init__", "settings", "redaction", "logging_setup", "model_store", "webhook"):
        assert (package / "hardening" / f"{module}.py").is_file(), module
    # The README's layout names every module of the package, and hardening/.
    readme = (project / "README.md").read_text()
    for module in package.glob("*.py"):
        assert module.name == "__init__.py" or f"── {module.name}" in readme, module.name
    assert "── hardening/" in readme
    for docker_file in ("Dockerfile", ".dockerignore", "compose.yaml", ".hadolint.yaml"):
        assert (project / docker_file).is_file() == stored["use_docker"], docker_file
    makefile = (project / "Makefile").read_text()
    assert ("docker-build:" in makefile) == stored["use_docker"]
    assert ("audit-docker" in makefile) == stored["use_docker"]
    assert (project / "notebooks").is_dir() == stored["use_notebooks"]
    assert (project / "tools" / "check_notebooks.py").is_file() == stored["use_notebooks"]
    dev_in = (project / "requirements" / "dev.in").read_text()
    assert ("nbstripout" in dev_in) == stored["use_notebooks"]
    base_in = (project / "requirements" / "base.in").read_text()
    assert ("fastapi" in base_in) == ("trustme" in dev_in) == stored["use_service"]
    assert (package / "hardening" / "service").is_dir() == stored["use_service"]
    assert (package / "serving.py").is_file() == stored["use_service"]
    assert ("serve:" in makefile) == stored["use_service"]


def test_license_matches_the_answer(rendered, profile):
    project = rendered(profile)
    stored = yaml.safe_load((project / ".copier-answers.yml").read_text())
    text = (project / "LICENSE").read_text()
    assert LICENSE_HEADLINES[stored["license"]] in text
    assert stored["author_name"] in text
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    spdx = "LicenseRef-Proprietary" if stored["license"] == "Proprietary" else stored["license"]
    assert pyproject["project"]["license"] == spdx


def test_locks_are_the_kept_ones_for_the_answers(rendered, profile):
    project = rendered(profile)
    stored = yaml.safe_load((project / ".copier-answers.yml").read_text())
    kept = TEMPLATE_ROOT / "includes" / "locks" / stored["python_version"]
    service = "-service" if stored["use_service"] else ""
    dev = f"dev{'-notebooks' if stored['use_notebooks'] else ''}{service}.txt"
    requirements = project / "requirements"
    assert (requirements / "base.txt").read_text() == (kept / f"base{service}.txt").read_text()
    assert (requirements / "dev.txt").read_text() == (kept / dev).read_text()


def test_python_passes_the_projects_own_ruff(rendered, profile):
    project = rendered(profile)
    assert ruff_problems(project) == ""


def test_git_ignores_data_models_and_secrets(rendered, profile, tmp_path):
    project = tmp_path / "project"
    subprocess.run(["cp", "-a", str(rendered(profile)), str(project)], check=True)
    commit_all(project)
    ignored = [
        "data/raw/sales.csv",
        "data/processed/train.parquet",
        # The example's database: its source table in clear, never committed.
        "data/warehouse.sqlite",
        "data/warehouse.sqlite-journal",
        "models/model.skops",
        "reports/metrics.json",
        ".env",
        ".env.local",
        ".venv/bin/python",
    ]
    kept = ["data/raw/.gitkeep", "models/.gitkeep", "reports/figures/.gitkeep", ".env.example"]
    for path in ignored:
        assert git(project, "check-ignore", "--no-index", path).strip() == path
    for path in kept:
        done = subprocess.run(["git", "check-ignore", "--no-index", path], cwd=project)
        assert done.returncode == 1, f"{path} is ignored"
    tracked = git(project, "ls-files").split()
    data_or_models = [p for p in tracked if p.startswith(("data/", "models/"))]
    assert all(p.endswith(".gitkeep") for p in data_or_models), data_or_models


def test_bandit_finds_nothing_at_any_level_and_nothing_is_waived(rendered, profile):
    project = rendered(profile)
    done = subprocess.run(
        [
            BANDIT,
            "--quiet",
            "--format",
            "json",
            "--configfile",
            "pyproject.toml",
            "--recursive",
            "src",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    assert report["results"] == [], report["results"]
    assert report["metrics"]["_totals"]["loc"] > 200
    for path in (project / "src").rglob("*.py"):
        assert "nosec" not in path.read_text(), path


def test_env_example_has_placeholders_only(rendered, profile):
    example = (rendered(profile) / ".env.example").read_text()
    settings = dict(re.findall(r"^([A-Z_]+)=(.*)$", example, re.MULTILINE))
    assert settings == {
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "text",
        "METRICS_WEBHOOK_URL": "",
        "METRICS_WEBHOOK_TOKEN": "",
        "DATABASE_URL": "",
        "DATA_ENCRYPTION_KEY": "",
        "DATA_ENCRYPTION_PREVIOUS_KEYS": "",
        "MODEL_SIGNING_KEY": "",
    } | (
        {
            "SERVICE_HOST": "127.0.0.1",
            "SERVICE_PORT": "8000",
            "SERVICE_TLS_CERT_FILE": "",
            "SERVICE_TLS_KEY_FILE": "",
            "SERVICE_TRUSTED_PROXIES": "",
            "SERVICE_ALLOWED_ORIGINS": "",
            "SERVICE_OPENAPI": "false",
            "SERVICE_SECRET_KEY": "",
            "SERVICE_MAX_ROWS": "1000",
            "SERVICE_MAX_BODY_BYTES": "1048576",
            "SERVICE_RATE_LIMIT_PER_MINUTE": "120",
            "SERVICE_TIMEOUT_SECONDS": "10",
            "SERVICE_MAX_CONNECTIONS": "64",
        }
        if answer(profile, "use_service")
        else {}
    )
