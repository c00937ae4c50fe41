"""The security gates of a generated project pass on it, and fail when they should.

One project is rendered and installed for the module; each test breaks one
thing, runs the gate's `make` target, and git puts the project back.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from osv_server import REQUESTS_VERIFY_FALSE, OsvServer, serving

from conftest import commit_all, git, python_path, render
from locks import parse_lock

pytestmark = pytest.mark.xdist_group("gates")

# requests 2.31.0 as PyPI serves it (wheel and sdist): affected by the advisory.
VULNERABLE_REQUESTS = (
    "requests==2.31.0 \\\n"
    "    --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f \\\n"
    "    --hash=sha256:942c5a758f98d790eaed1a29cb6eefc7ffb0d1cf7af05c3d2791656dbd6ad1e1\n"
)


@pytest.fixture(scope="module")
def installed(copie_session) -> Path:
    project = render(copie_session, "default")
    commit_all(project)
    done = subprocess.run(
        ["make", "install", f"PYTHON={python_path('3.11')}"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return project


@pytest.fixture(scope="module")
def osv() -> Iterator[OsvServer]:
    with serving([REQUESTS_VERIFY_FALSE]) as server:
        yield server


@pytest.fixture
def project(installed: Path) -> Iterator[Path]:
    yield installed
    git(installed, "checkout", "--", ".")
    git(installed, "clean", "-fdq")  # untracked, not ignored: .venv and .env stay


def gate(project: Path, target: str, osv: OsvServer | None = None) -> subprocess.CompletedProcess:
    """Run one `make` gate; never reinstall, even when a test edited the lock."""
    env = {**os.environ, **(osv.environment() if osv else {})}
    env.pop("SAFETY_API_KEY", None)
    return subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", target],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_make_audit_passes_on_a_fresh_project(project, osv):
    done = gate(project, "audit", osv)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No known vulnerabilities found" in done.stdout + done.stderr
    assert "safety: skipped: SAFETY_API_KEY is not set" in done.stdout


def test_pip_audit_checks_every_pin_of_the_lock(project, osv):
    osv.queries.clear()
    assert gate(project, "audit-deps", osv).returncode == 0
    pins = parse_lock(project / "requirements" / "dev.txt")
    assert sorted(osv.queries) == sorted((name, pin.version) for name, pin in pins.items())


def test_pip_audit_fails_on_a_vulnerable_pin(project, osv):
    lock = project / "requirements" / "dev.txt"
    text, count = re.subn(
        r"(?m)^requests==\S+ \\\n(?:    --hash=\S+ \\\n)*    --hash=\S+\n",
        VULNERABLE_REQUESTS,
        lock.read_text(),
    )
    assert count == 1
    lock.write_text(text)
    done = gate(project, "audit-deps", osv)
    assert done.returncode != 0
    assert "requests 2.31.0  CVE-2024-35195 2.32.0" in done.stdout


def test_pip_audit_fails_when_a_pin_cannot_be_audited(project):
    """--strict: an unreachable advisory service fails the gate, never passes it."""
    closed = OsvServer([])
    closed.server_close()  # its port now refuses connections
    done = gate(project, "audit-deps", closed)
    assert done.returncode != 0
    assert "No known vulnerabilities found" not in done.stdout


def test_lock_check_fails_on_a_stale_lock(project):
    base_in = project / "requirements" / "base.in"
    base_in.write_text(base_in.read_text() + "tabulate>=0.9\n")
    done = gate(project, "lock-check")
    assert done.returncode != 0
    assert "+tabulate==" in done.stdout
    assert (project / "requirements" / "base.txt").read_text().count("tabulate") == 0
    assert "requirements/*.txt are stale; run 'make lock'" in done.stderr


def test_detect_secrets_fails_on_a_committed_secret(project):
    leak = project / "src" / "churn_model" / "credentials.py"
    leak.write_text('AWS_ACCESS_KEY_ID = "AKIAZ3MSJV4WWNKWW5FG"\n')  # pragma: allowlist secret
    git(project, "add", str(leak))
    done = gate(project, "audit-secrets")
    assert done.returncode != 0
    assert "AWS Access Key" in done.stdout
    git(project, "reset", "--quiet")


def test_nbstripout_fails_on_a_notebook_with_outputs(project):
    [notebook] = (project / "notebooks").glob("*.ipynb")
    content = json.loads(notebook.read_text())
    cell = next(c for c in content["cells"] if c["cell_type"] == "code")
    cell["execution_count"] = 1
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["569\n"]}]
    notebook.write_text(json.dumps(content, indent=1) + "\n")
    assert gate(project, "audit-notebooks").returncode != 0


def test_bandit_fails_on_a_medium_severity_finding(project):
    module = project / "src" / "churn_model" / "shell.py"
    module.write_text(
        "import subprocess\n\n\ndef run(command: str) -> int:\n"
        "    return subprocess.call(command, shell=True)\n"
    )
    done = gate(project, "audit-code")
    assert done.returncode != 0
    assert "B602" in done.stdout
