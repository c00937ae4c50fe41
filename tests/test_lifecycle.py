"""A generated project works the way its README says: install, test, run, lint, lock.

These tests install real packages (hash-checked, from the package index) into
a fresh virtualenv for each supported Python, so they are the slow ones.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
import trustme

from commands import check, git, package_of, pre_commit, python_path, render, run_make
from installs import DEFAULT_PROJECT, install
from osv_server import REQUESTS_VERIFY_FALSE, serving
from profiles import DEFAULT_PYTHON, INSTALL_PROFILES, answer

CANARY = "canary-7f3c-template-suite"
# `make audit`, with every gate made to fail, runs in test_gates.py on the
# default project; test_update.py audits the updated py312 project.
AUDITED_ELSEWHERE = ("default", "py312-apache-gitlab-slim")


# Seconds each takes on 2 cores (docs/maintaining.md), to start the slowest
# first; the default profile's install is shared with the gate tests, whose
# time counts here too, as one worker runs them together.
SECONDS = {"default": 450, "py312-apache-gitlab-slim": 260, "py313-bsd-no-ci": 360}


@pytest.mark.parametrize(
    "profile",
    [
        pytest.param(
            profile,
            marks=[pytest.mark.slow(SECONDS[profile])]
            + ([DEFAULT_PROJECT] if profile == "default" else []),
        )
        for profile in INSTALL_PROFILES
    ],
)
def test_install_test_run_lint_from_a_fresh_commit(
    request, copie, gnu_make, postgres_server, tmp_path, profile
):
    if profile == "default":
        project = request.getfixturevalue("default_project")
    else:
        project = render(copie, profile)
        install(project, profile)
    package = package_of(project)

    # The first install created .env from .env.example (installs.install checks
    # it is private); later ones keep it.
    env_file = project / ".env"
    env_file.write_text(env_file.read_text() + "# the owner's edit\n")
    check(run_make(project, "env"))
    assert env_file.read_text().endswith("# the owner's edit\n")

    # -rA: every passed test named in the summary, whichever worker ran it.
    # PYTHONDONTWRITEBYTECODE as CI images set it: the Makefile has Python
    # write bytecode all the same, or every test process compiles anew.
    bytecode = project / "src" / package / "__pycache__"
    shutil.rmtree(bytecode, ignore_errors=True)  # an earlier test's, in the shared project
    env = {"PYTEST_ADDOPTS": "-rA", "PYTHONDONTWRITEBYTECODE": "1"}
    tested = check(run_make(project, "test", env=env))
    assert list(bytecode.glob("pipeline.*.pyc")), "make test wrote no bytecode"
    # pytest's last line: only passes (test names may hold "error" or "failed").
    assert re.search(r"(?m)^=+ \d+ passed in [\d.]+s", tested), tested[-2000:]
    # The example notebook ran on the kernel, in the project's own tests.
    ran_notebooks = re.search(r"(?m)^PASSED tests/test_notebooks_run\.py::", tested) is not None
    assert ran_notebooks == answer(profile, "use_notebooks"), tested[-2000:]

    # `make run` says nothing of its own: with LOG_FORMAT=json every line is JSON.
    ran = run_make(project, "run", env={"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"})
    check(ran)
    records = [json.loads(line) for line in (ran.stdout + ran.stderr).splitlines()]
    assert records[-1]["message"].startswith("Done: run 1, accuracy")
    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert metrics["accuracy"] > 0.9
    figures = sorted(path.name for path in (project / "reports/figures").glob("*.png"))
    assert [name.split("-run000001-")[1] for name in figures] == [
        "confusion-matrix.png",
        "roc-curve.png",
    ]
    # The keys the first install wrote are in use: data encrypted, model signed.
    assert "DATA_ENCRYPTION_KEY=" in env_file.read_text()
    written = sorted(str(path.relative_to(project)) for path in project.glob("data/*/*.csv*"))
    assert written == [
        "data/processed/test.csv.enc",
        "data/processed/train.csv.enc",
        "data/raw/samples.csv.enc",
    ]
    cli = [project / ".venv/bin/python", "-m", package]
    check(subprocess.run([*cli, "verify-model", "models/model.skops"], cwd=project))
    check_failures(project, cli, package)
    listed = check(subprocess.run([*cli, "runs"], cwd=project, capture_output=True, text=True))
    assert listed.startswith("1\t")
    database = f"lifecycle_{secrets.token_hex(4)}"  # one server per worker, several profiles
    check_on_postgresql(project, cli, postgres_server.new_database(database))

    linted = check(run_make(project, "lint"))
    assert "Success: no issues found in" in linted  # mypy, strict, on this profile
    if profile not in AUDITED_ELSEWHERE:
        with serving([REQUESTS_VERIFY_FALSE]) as osv:
            check(run_make(project, "audit", env=osv.environment()))
    # The hooks are local: with an empty PRE_COMMIT_HOME they install nothing.
    check(pre_commit(project))
    # Data, models, reports and the venv are all ignored: the run leaves git clean.
    assert git(project, "status", "--porcelain") == ""

    # `make clean` on a copy, as the default project's venv is shared: the venv
    # (here a stand-in) and the caches go; data, models and reports stay.
    copy = tmp_path / "clean"
    shutil.copytree(project, copy, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    (copy / ".venv" / "bin").mkdir(parents=True)
    # ruff runs with --no-cache (a cached result could come from other settings).
    caches = [".venv", ".pytest_cache", ".mypy_cache"]
    assert all((copy / cache).is_dir() for cache in caches)
    check(run_make(copy, "clean"))
    assert [cache for cache in caches if (copy / cache).exists()] == []
    assert list(copy.rglob("__pycache__")) == []
    kept = ["models/model.skops", "reports/metrics.json", "data/processed/train.csv.enc"]
    assert [path for path in kept if not (copy / path).is_file()] == []


def test_missing_python_is_a_clear_error(copie, gnu_make):
    project = render(copie, "default")
    done = run_make(project, "install", f"PYTHON=python{DEFAULT_PYTHON}-does-not-exist")
    assert done.returncode != 0
    assert f"is not a working Python {DEFAULT_PYTHON}" in done.stderr
    assert f"make install PYTHON=/path/to/python{DEFAULT_PYTHON}" in done.stderr
    assert not (project / ".venv").exists()


def test_wrong_python_version_is_refused(copie, gnu_make):
    project = render(copie, "default")
    done = run_make(project, "install", f"PYTHON={python_path('3.12')}")
    assert done.returncode != 0
    assert f"is not a working Python {DEFAULT_PYTHON}" in done.stderr
    assert not (project / ".venv").exists()


@DEFAULT_PROJECT
def test_the_database_is_reached_over_verified_tls_only(default_project, postgres_server, tmp_path):
    """Through the project's own settings and connect(): verify-full with the
    server's CA and host name connects, over TLS; another CA, or a certificate
    for another name, is refused with a clear error that quotes nothing."""
    project = default_project
    cli = [project / ".venv/bin/python", "-m", package_of(project)]
    name = f"tls_{secrets.token_hex(4)}"
    url = postgres_server.new_database(name)
    password = url.split(":")[2].split("@")[0]
    ca, other_ca = tmp_path / "ca.pem", tmp_path / "other-ca.pem"
    postgres_server.ca.cert_pem.write_to_path(str(ca))
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    # No PG* variable of the machine's: the URL alone says where and how.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    root = tmp_path / "run"

    def command(*arguments: str, host: str = "localhost", root_ca: Path = ca):
        verified = url.replace("@127.0.0.1:", f"@{host}:")
        verified += f"?sslmode=verify-full&sslrootcert={root_ca}"
        return subprocess.run(
            [*cli, "--root", root, *arguments],
            cwd=project,
            capture_output=True,
            text=True,
            env={**env, "DATABASE_URL": verified},
        )

    check(command("run", "--label", "over tls"))
    listed = check(command("runs", "--label", "over tls"))
    assert len(listed.splitlines()) == 1
    # The server logged each session of the run as TLS.
    authorized = re.findall(
        rf"connection authorized: user={name} database={name}(.*)", postgres_server.log.read_text()
    )
    assert authorized
    assert all(line.startswith(" SSL enabled (protocol=TLSv1.") for line in authorized)

    refusals = {"another CA": command("runs", root_ca=other_ca)}
    # The certificate names localhost, not the address.
    refusals["an address the certificate lacks"] = command("runs", host="127.0.0.1")
    postgres_server.use_certificate(postgres_server.ca.issue_cert("db.invalid"))
    try:
        refusals["a certificate for another name"] = command("runs")
    finally:
        postgres_server.use_certificate(postgres_server.ca.issue_cert("localhost"))
    for case, done in refusals.items():
        assert done.returncode == 1, f"{case}: {done.stdout}{done.stderr}"
        assert "the server's TLS certificate was refused" in done.stderr, f"{case}: {done.stderr}"
        for secret in (password, name, "db.invalid", str(tmp_path)):
            assert secret not in done.stdout + done.stderr, f"{case}: {secret}"


def check_on_postgresql(project: Path, cli: list[object], url: str) -> None:
    """The project's database tests, injection payloads included, and a run, on PostgreSQL."""
    report = project.parent / "postgresql-tests.xml"
    check(
        subprocess.run(
            [
                project / ".venv/bin/pytest",
                "-q",
                "-p",
                "no:randomly",
                "-k",
                "sqlite or postgresql",
                f"--junitxml={report}",
            ],
            cwd=project,
            capture_output=True,
            text=True,
            env={**os.environ, "TEST_DATABASE_URL": url},
        )
    )
    outcomes: dict[str, set[str]] = {"sqlite": set(), "postgresql": set()}
    for case in ElementTree.parse(report).iter("testcase"):
        name = case.get("name", "")
        parametrized = re.search(r"\[(sqlite|postgresql)(?=[\]-])", name)
        if parametrized:
            outcome = {child.tag for child in case} & {"failure", "error", "skipped"}
            assert not outcome, f"{name}: {outcome}"
            outcomes[parametrized[1]].add(name.replace(parametrized[0], "[", 1))
    # Every database test ran on both, and passed on both.
    assert len(outcomes["postgresql"]) >= 10
    assert outcomes["postgresql"] == outcomes["sqlite"]

    root = project.parent / "postgresql-run"
    env = {**os.environ, "DATABASE_URL": url}
    run = [*cli, "--root", root, "run", "--label", "on postgresql", "--cohort", "south"]
    check(subprocess.run(run, env=env))
    listed = check(
        subprocess.run(
            [*cli, "--root", root, "runs", "--label", "on postgresql", "--tag", "cohort=south"],
            capture_output=True,
            text=True,
            env=env,
        )
    )
    assert len(listed.splitlines()) == 1
    # Its tags, as JSON: the example records its seed and cohort.
    assert listed.rstrip("\n").endswith('\tcohort="south" seed=42\ton postgresql')
    assert not (root / "data" / "warehouse.sqlite").exists()


# A library call deep in a run fails with the canary in its message, its
# cause and a note; the command line is started as `python -m` would.
DEEP_FAILURE = """
import runpy, sys
from unittest import mock
import sqlalchemy.engine

secret = sys.argv[1]

def refuse(*args, **kwargs):
    error = RuntimeError("upstream rejected token " + secret)
    error.add_note("token=" + secret)
    raise error from OSError(secret)

sys.argv = [sys.argv[2], "--root", sys.argv[3]]
with mock.patch.object(sqlalchemy.engine.Engine, "connect", refuse):
    runpy.run_module(sys.argv[0], run_name="__main__")
"""


def check_failures(project: Path, cli: list[object], module: str) -> None:
    """Failures leave no secret on either stream, and only JSON lines in JSON mode."""
    with socket.socket() as closed:  # bound, never listening: refused
        closed.bind(("127.0.0.1", 0))
        env = {
            **os.environ,
            "LOG_FORMAT": "json",
            "METRICS_WEBHOOK_URL": f"http://127.0.0.1:{closed.getsockname()[1]}/h/{CANARY}",
            "METRICS_WEBHOOK_TOKEN": CANARY,
        }
        webhook = subprocess.run(
            [*cli, "--root", project.parent / "webhook-run"],
            cwd=project.parent,
            capture_output=True,
            text=True,
            env=env,
        )
        deep = subprocess.run(
            [cli[0], "-c", DEEP_FAILURE, CANARY, module, project.parent / "deep-run"],
            cwd=project.parent,
            capture_output=True,
            text=True,
            env={**env, "LOG_LEVEL": "DEBUG"},
        )
    for done in (webhook, deep):
        assert done.returncode == 1, done.stderr
        assert CANARY not in done.stdout + done.stderr
        records = [json.loads(line) for line in (done.stdout + done.stderr).splitlines()]
        assert all(isinstance(record, dict) for record in records)
    assert webhook.stdout == ""
    assert records[-1]["level"] == "CRITICAL"
    assert records[-1]["exception"].endswith("RuntimeError: upstream rejected token ***\ntoken=***")
    last = json.loads(webhook.stderr.splitlines()[-1])
    assert (last["level"], last["message"]) == (
        "ERROR",
        "The run failed: the metrics were not sent: "
        "could not reach the metrics webhook at 127.0.0.1 (ConnectionRefusedError)",
    )
