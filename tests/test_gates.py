"""The security gates of a generated project pass on it, and fail when they should.

They share the installed default project with test_lifecycle.py
(conftest.default_project): each test breaks one thing, runs the gate's
`make` target, and git puts the project back.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands import (
    AS_INSTALLED,
    commit_all,
    git,
    package_of,
    pre_commit,
    python_path,
    render,
    run_in,
    run_make,
    unavailable,
)
from installs import DEFAULT_PROJECT
from locks import parse_lock
from osv_server import REQUESTS_VERIFY_FALSE, OsvServer, serving
from profiles import INSTALL_PROFILES, PROFILES, answer

pytestmark = DEFAULT_PROJECT

# requests 2.31.0 as PyPI serves it (wheel and sdist): affected by the advisory.
VULNERABLE_REQUESTS = (
    "requests==2.31.0 \\\n"
    "    --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f \\\n"
    "    --hash=sha256:942c5a758f98d790eaed1a29cb6eefc7ffb0d1cf7af05c3d2791656dbd6ad1e1\n"
)


@pytest.fixture(scope="module")
def osv() -> Iterator[OsvServer]:
    with serving([REQUESTS_VERIFY_FALSE]) as server:
        yield server


@pytest.fixture
def project(default_project: Path) -> Iterator[Path]:
    """The shared installed default project, put back after each test."""
    yield default_project
    git(default_project, "reset", "--quiet", "--hard")  # the index too: tests stage files
    git(default_project, "clean", "-fdq")  # untracked, not ignored: .venv and .env stay


def gate(
    project: Path, target: str, *variables: str, osv: OsvServer | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one `make` gate; never reinstall, even when a test edited the lock."""
    return run_make(
        project, *AS_INSTALLED, target, *variables, env=osv.environment() if osv else None
    )


def test_make_audit_passes_on_a_fresh_project(project, osv):
    done = gate(project, "audit", osv=osv)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No known vulnerabilities found" in done.stdout + done.stderr
    assert "safety: skipped: SAFETY_API_KEY is not set" in done.stdout


def test_pip_audit_checks_every_pin_of_the_lock(project, osv):
    osv.queries.clear()
    assert gate(project, "audit-deps", osv=osv).returncode == 0
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
    done = gate(project, "audit-deps", osv=osv)
    assert done.returncode != 0
    assert "requests 2.31.0  CVE-2024-35195 2.32.0" in done.stdout


def test_pip_audit_fails_when_a_pin_cannot_be_audited(project):
    """--strict: an unreachable advisory service fails the gate, never passes it."""
    closed = OsvServer([])
    closed.server_close()  # its port now refuses connections
    done = gate(project, "audit-deps", osv=closed)
    assert done.returncode != 0
    assert "No known vulnerabilities found" not in done.stdout
    # pip-audit's own failure to reach the service, not a missing tool.
    refused = f"port={closed.server_port}): Max retries exceeded"
    assert refused in done.stderr, done.stderr[-2000:]
    assert "Connection refused" in done.stderr


def test_lock_check_fails_on_a_stale_lock(project):
    base_in = project / "requirements" / "base.in"
    base_in.write_text(base_in.read_text() + "tabulate>=0.9\n")
    done = gate(project, "lock-check")
    assert done.returncode != 0
    assert "+tabulate==" in done.stdout
    assert (project / "requirements" / "base.txt").read_text().count("tabulate") == 0
    assert "requirements/base.txt is stale; run 'make lock'" in done.stderr
    assert "lock hashes: every hash of" in done.stdout  # the hash check ran too


def rogue_wheel(project: Path, name: str, version: str, folder: Path) -> str:
    """Build a wheel of ``name`` ``version`` whose .pth runs on every Python start."""
    source = folder / "rogue"
    source.mkdir()
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
        '[tool.hatch.build.targets.wheel.force-include]\n"payload.pth" = "zz_payload.pth"\n'
    )
    # Harmless here (the wheel is never installed), but it would run anywhere it was.
    (source / "payload.pth").write_text("import sys; sys.stderr.write('payload ran\\n')\n")
    build = [project / ".venv/bin/python", "-m", "pip", "wheel", "--quiet", "--no-deps"]
    build += ["--no-build-isolation", "--wheel-dir", folder / "dist", source]
    subprocess.run(build, check=True, capture_output=True)
    [wheel] = (folder / "dist").glob("*.whl")
    return hashlib.sha256(wheel.read_bytes()).hexdigest()


def add_hash(lock: Path, name: str, digest: str) -> None:
    """Add ``digest`` to the hashes of ``name`` in ``lock``, in order, as pip-compile would."""
    text = lock.read_text()
    entry = re.search(rf"(?m)^{name}==\S+ \\\n(?:    --hash=\S+ \\\n)*    --hash=\S+\n", text)
    assert entry is not None, name
    pin, *hashes = [line.removesuffix(" \\") for line in entry[0].splitlines()]
    lines = [pin, *sorted([*hashes, f"    --hash=sha256:{digest}"])]
    lock.write_text(text.replace(entry[0], " \\\n".join(lines) + "\n", 1))


def without_comments(lock: Path) -> list[str]:
    """The pins and hashes of a lock; pip-compile's "# via" lines vary from run to run."""
    return [line for line in lock.read_text().splitlines() if not line.lstrip().startswith("#")]


def test_lock_check_fails_on_a_hash_the_index_does_not_serve(project, tmp_path):
    """A one-line diff in a lock, plus a mirror that serves the rogue file, is the attack."""
    locks = [project / "requirements" / f"{name}.txt" for name in ("base", "dev")]
    genuine = [without_comments(lock) for lock in locks]
    version = re.search(r"(?m)^requests==(\S+) ", locks[1].read_text())[1]
    rogue = rogue_wheel(project, "requests", version, tmp_path)
    add_hash(locks[1], "requests", rogue)
    add_hash(locks[0], "numpy", "0" * 64)
    done = gate(project, "lock-check")
    assert done.returncode != 0
    assert (
        f"requirements/dev.txt: requests=={version} has --hash=sha256:{rogue}, "
        "which the index does not serve for that version"
    ) in done.stderr
    assert "requirements/base.txt: numpy==" in done.stderr
    # The re-resolution alone reuses the hashes in the lock: it keeps the rogue one.
    assert rogue not in done.stdout

    # `make lock` rewrites every pin's hashes from the index, which mends it.
    assert gate(project, "lock").returncode == 0
    assert [without_comments(lock) for lock in locks] == genuine


def test_install_refuses_a_lock_that_names_its_own_index(copie_session, gnu_make):
    project = render(copie_session, "default")
    commit_all(project)
    lock = project / "requirements" / "dev.txt"
    lock.write_text(lock.read_text() + "--extra-index-url https://mirror.example/simple\n")
    done = run_make(
        project, "install", f"PYTHON={python_path(str(answer('default', 'python_version')))}"
    )
    assert done.returncode != 0
    assert "the option --extra-index-url is not allowed in a lock" in done.stderr
    assert not (project / ".venv").exists()


def test_detect_secrets_fails_on_a_committed_secret(project):
    leak = project / "src" / package_of(project) / "credentials.py"
    leak.write_text('AWS_ACCESS_KEY_ID = "AKIAZ3MSJV4WWNKWW5FG"\n')  # pragma: allowlist secret
    git(project, "add", str(leak))
    done = gate(project, "audit-secrets")
    assert done.returncode != 0
    assert "AWS Access Key" in done.stdout
    git(project, "reset", "--quiet")


def test_detect_secrets_fails_on_a_secret_hidden_in_a_regenerated_baseline(project):
    leak = project / "src" / package_of(project) / "credentials.py"
    leak.write_text('AWS_ACCESS_KEY_ID = "AKIAZ3MSJV4WWNKWW5FG"\n')  # pragma: allowlist secret
    git(project, "add", str(leak))
    scan = [project / ".venv/bin/detect-secrets", "scan", "--baseline", ".secrets.baseline"]
    subprocess.run(scan, cwd=project, check=True)
    git(project, "add", ".secrets.baseline")
    assert "credentials.py" in (project / ".secrets.baseline").read_text()
    done = gate(project, "audit-secrets")
    assert done.returncode != 0
    assert (
        f"src/{package_of(project)}/credentials.py:1: an AWS Access Key finding is not audited "
        "as a false positive"
    ) in done.stderr


def notebook_with_outputs(project: Path) -> str:
    [notebook] = (project / "notebooks").glob("*.ipynb")
    content = json.loads(notebook.read_text())
    cell = next(c for c in content["cells"] if c["cell_type"] == "code")
    cell["execution_count"] = 1
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["569\n"]}]
    return json.dumps(content, indent=1) + "\n"


@pytest.mark.parametrize(
    ("path", "keep"),
    [
        ("notebooks/01-explore-data.ipynb", False),
        ("notebooks/exploration/02-scratch.ipynb", False),
        ("src/{package}/analysis.IPYNB", False),
        ("notebooks/01-explore-data.ipynb", True),  # marked for nbstripout to keep
    ],
)
def test_notebook_gate_fails_on_any_tracked_notebook_with_outputs(project, path, keep):
    path = path.format(package=package_of(project))
    notebook = json.loads(notebook_with_outputs(project))
    notebook["metadata"]["keep_output"] = keep
    (project / path).parent.mkdir(parents=True, exist_ok=True)
    (project / path).write_text(json.dumps(notebook))
    git(project, "add", path)
    done = gate(project, "audit-notebooks")
    assert done.returncode != 0
    assert f"{path}: cell 2 has outputs" in done.stderr


def test_a_notebook_that_raises_fails_the_project_tests(project):
    """`make test` runs every notebook under notebooks/ on the kernel."""
    [example] = (project / "notebooks").glob("*.ipynb")
    content = json.loads(example.read_text())
    # A scratch notebook in a subfolder, with the example's metadata and kernel;
    # the tag that tells nbclient to accept the cell's error changes nothing.
    content["cells"] = [
        {
            "cell_type": "code",
            "id": "planted",
            "metadata": {"tags": ["raises-exception"]},
            "execution_count": None,
            "outputs": [],
            "source": ["raise ValueError('planted in a scratch notebook')"],
        }
    ]
    scratch = project / "notebooks" / "exploration" / "02-scratch.ipynb"
    scratch.parent.mkdir()
    scratch.write_text(json.dumps(content))
    done = run_in(project, ".venv/bin/pytest", "-p", "no:randomly", "tests/test_notebooks_run.py")
    assert done.returncode == 1, done.stdout[-2000:]
    assert "1 failed, 1 passed" in done.stdout
    assert "FAILED tests/test_notebooks_run.py::" in done.stdout
    assert "[exploration/02-scratch.ipynb]" in done.stdout
    assert "planted in a scratch notebook" in done.stdout


# Scratch notebooks that show a secret setting, each in its own way, and what
# the project's notebook test must report: the setting and the form, never
# the value. Every secret setting, and the token in the encodings the log
# redaction masks, plus reversed and spaced out.
NOTEBOOK_LEAKS = {
    "database-url": ("DATABASE_URL (as shown)", "print(s.database_url.get_secret_value())"),
    "data-key": ("DATA_ENCRYPTION_KEY (as shown)", "s.data_encryption_key.get_secret_value()"),
    "previous-keys": (
        "DATA_ENCRYPTION_PREVIOUS_KEYS (as shown)",
        "print(s.data_encryption_previous_keys.get_secret_value())",
    ),
    "signing-key": (
        "MODEL_SIGNING_KEY (as shown)",
        "print(s.model_signing_key.get_secret_value())",
    ),
    "webhook-url": (
        "METRICS_WEBHOOK_URL (as shown)",
        "print(s.metrics_webhook_url.get_secret_value())",
    ),
    "token": ("METRICS_WEBHOOK_TOKEN (as shown)", "print(token)"),
    "token-reversed": ("METRICS_WEBHOOK_TOKEN (backwards)", "print(token[::-1])"),
    "token-spaced": ("METRICS_WEBHOOK_TOKEN (without whitespace)", "print(' '.join(token))"),
    "token-base64": ("METRICS_WEBHOOK_TOKEN (as shown)", "base64.b64encode(token.encode())"),
    "token-url-encoded": (
        "METRICS_WEBHOOK_TOKEN (as shown)",
        "print(''.join(f'%{b:02X}' for b in token.encode()))",
    ),
    "token-hex": ("METRICS_WEBHOOK_TOKEN (as shown)", "print(token.encode().hex())"),
    "key-hex": (
        "DATA_ENCRYPTION_KEY (as shown)",
        "print(base64.urlsafe_b64decode(s.data_encryption_key.get_secret_value()).hex())",
    ),
}


def test_a_notebook_that_shows_a_secret_fails_the_project_tests(project):
    """Each secret setting the settings declare, and the token however it is spelled."""
    [example] = (project / "notebooks").glob("*.ipynb")
    content = json.loads(example.read_text())
    setup = (
        f"import base64\nfrom {package_of(project)}.config import Settings\n\n"
        "s = Settings.load(_env_file='../.env')\n"
        "token = s.metrics_webhook_token.get_secret_value()\n"
    )
    for name, (_, code) in NOTEBOOK_LEAKS.items():
        content["cells"] = [
            {
                "cell_type": "code",
                "id": "planted",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": [setup + code],
            }
        ]
        (project / "notebooks" / f"leak-{name}.ipynb").write_text(json.dumps(content))
    done = run_in(project, ".venv/bin/pytest", "-p", "no:randomly", "tests/test_notebooks_run.py")
    assert done.returncode == 1, done.stdout[-2000:]
    assert f"{len(NOTEBOOK_LEAKS)} failed, 1 passed" in done.stdout  # the example passes
    for name, (reported, _) in NOTEBOOK_LEAKS.items():
        found = rf"leak-{name}\.ipynb shows secret settings: [^\n]*{re.escape(reported)}"
        assert re.search(found, done.stdout), name
    assert "canary-5ecret" not in done.stdout  # the report names settings, never values


def test_docker_build_refuses_a_wheel_that_reaches_past_what_git_tracks(project):
    """A committed build setting that pulls the ignored .env into the package."""
    env_file = project / ".env"
    settings = env_file.read_text()
    env_file.write_text("METRICS_WEBHOOK_TOKEN=canary-0c4f-dotenv\n")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "\n[tool.hatch.build.targets.wheel.force-include]\n"
        f'"../../.env" = "{package_of(project)}/defaults.env"\n'
    )
    commit_all(project, "Ship the defaults")
    try:
        done = gate(project, "docker-build", "DOCKER=false")
    finally:
        git(project, "reset", "--quiet", "--hard", "HEAD~1")
        env_file.write_text(settings)
    assert done.returncode != 0
    # Refused from the settings, before any wheel is built (the wheel check
    # behind it would refuse the file as not of the snapshot).
    assert "tool.hatch.build.targets.wheel.force-include: adds files from" in done.stderr
    assert "canary-0c4f-dotenv" not in done.stdout + done.stderr
    assert not list((project / "dist").glob("*.whl"))


@pytest.mark.parametrize("route", ["/proc/self/environ", "../../.env"])
def test_install_and_docker_build_refuse_metadata_read_from_outside_the_project(project, route):
    """A legacy licence line would copy the build's environment, or .env, into METADATA."""
    canary = "canary-4e1d-exported-to-the-build"
    env_file = project / ".env"
    settings = env_file.read_text()
    env_file.write_text(f"METRICS_WEBHOOK_TOKEN={canary}\n")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text().replace('license-files = ["LICENSE"]\n', "")
    pyproject.write_text(re.sub(r"(?m)^license = .*$", f'license = {{file = "{route}"}}', text))
    commit_all(project, "The licence from a file")
    exported = {"METRICS_WEBHOOK_TOKEN": canary}
    try:
        built = run_make(project, *AS_INSTALLED, "docker-build", "DOCKER=false", env=exported)
        installed = run_make(project, "install", env=exported)  # pyproject.toml changed
    finally:
        git(project, "reset", "--quiet", "--hard", "HEAD~1")
        env_file.write_text(settings)
    for done in (built, installed):
        assert done.returncode != 0
        assert "project.license: must be a file inside the project" in done.stderr
        assert canary not in done.stdout + done.stderr
    assert not (project / "dist").exists()  # refused before the build
    metadata = project.glob(".venv/lib/python*/site-packages/*.dist-info/METADATA")
    assert not any(canary in path.read_text(errors="replace") for path in metadata)


def test_docker_build_refuses_a_tracked_symlink(project):
    """A link to the ignored .env would bring the file it points to into the wheel."""
    link = project / "src" / package_of(project) / "defaults.cfg"
    link.symlink_to("../../.env")
    git(project, "add", str(link))
    done = gate(project, "docker-build", "DOCKER=false")
    assert done.returncode != 0
    assert "symlinks are not built into the image" in done.stderr
    assert f"src/{package_of(project)}/defaults.cfg" in done.stderr
    assert not (project / "dist").exists()


def test_a_notebook_in_a_project_without_notebooks_fails_the_gate(copie_session, project):
    slim = render(copie_session, "py312-apache-gitlab-slim")
    commit_all(slim)
    assert gate(slim, "audit-notebooks").returncode == 0
    (slim / "analysis.ipynb").write_text(notebook_with_outputs(project))
    git(slim, "add", "analysis.ipynb")
    done = gate(slim, "audit-notebooks")
    assert done.returncode != 0
    assert "notebooks are tracked, but this project was made without notebook" in done.stderr
    assert "analysis.ipynb" in done.stderr


def test_bandit_fails_on_a_medium_severity_finding(project):
    module = project / "src" / package_of(project) / "shell.py"
    module.write_text(
        "import subprocess\n\n\ndef run(command: str) -> int:\n"
        "    return subprocess.call(command, shell=True)\n"
    )
    done = gate(project, "audit-code")
    assert done.returncode != 0
    assert "B602" in done.stdout


def plant_query(project: Path, body: str, waiver: str = "") -> None:
    (project / "src" / package_of(project) / "queries.py").write_text(
        f"from sqlalchemy import Connection, CursorResult, text{waiver}\n\n\n"
        "def by_label(connection: Connection, label: str) -> CursorResult:\n" + body
    )


def test_an_f_string_query_fails_bandit_ruff_and_the_sql_check(project):
    plant_query(
        project,
        "    return connection.execute(text(f\"SELECT * FROM runs WHERE label = '{label}'\"))\n",
    )
    audited = gate(project, "audit-code")
    assert audited.returncode != 0
    assert "B608" in audited.stdout
    linted = gate(project, "lint")
    assert linted.returncode != 0
    assert "S608" in linted.stdout
    assert "TID251 `sqlalchemy.text` is banned" in linted.stdout
    checked = subprocess.run(
        [project / ".venv/bin/python", "tools/check_sql.py", "src"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 1
    assert "queries.py:5: text() is given SQL text that is not a string literal" in checked.stderr


def test_a_query_built_in_steps_fails_the_sql_check_that_bandit_and_ruff_miss(project):
    """With ruff's ban of text() waived (and listed), tools/check_sql.py still fails it."""
    plant_query(
        project,
        '    sql = "SELECT * FROM runs WHERE label = "\n'
        "    sql += label\n"
        "    return connection.execute(text(sql))\n",
        waiver="  # noqa: TID251",
    )
    audited = gate(project, "audit-code")
    assert audited.returncode != 0
    assert "B608" not in audited.stdout  # bandit passed, and ruff: the last step failed
    assert f"waived: src/{package_of(project)}/queries.py:1:" in audited.stdout
    assert "queries.py:7: text() is given SQL text that is not a string literal" in audited.stderr


# A query built in one module and run in another: no checker that follows
# strings within a module can see it, so the raw-SQL entry points are banned
# outright (ruff TID251) wherever the query comes from.
BUILDER = (
    "def by_label(label: str) -> str:\n"
    '    return "".join(["SELECT * FROM runs WHERE label = \'", label, "\'"])\n'
)
TWO_MODULE_RUNNERS = {
    "pandas.read_sql": ("import pandas as pd\n", "pd.read_sql(by_label(label), connection)"),
    "pandas.io.sql": (
        "import pandas as pd\nfrom pandas.io.sql import read_sql_query\n",
        "read_sql_query(by_label(label), connection)",
    ),
    "sqlalchemy.sql.expression.text": (
        "import pandas as pd\nfrom sqlalchemy.sql.expression import text\n",
        "pd.DataFrame(connection.execute(text(by_label(label))).all())",
    ),
}


@pytest.mark.parametrize("banned", TWO_MODULE_RUNNERS)
def test_a_query_built_in_one_module_and_run_in_another_fails_the_gate(project, banned):
    imports, call = TWO_MODULE_RUNNERS[banned]
    package = project / "src" / package_of(project)
    (package / "builder.py").write_text(BUILDER)
    (package / "report.py").write_text(
        imports + "from sqlalchemy import Connection\n\nfrom .builder import by_label\n\n\n"
        "def runs_labelled(connection: Connection, label: str) -> pd.DataFrame:\n"
        f"    return {call}\n"
    )
    audited = gate(project, "audit-code")
    assert audited.returncode != 0
    found = f"src/{package_of(project)}/report.py:"
    assert re.search(rf"{re.escape(found)}\d+:\d+: TID251 `{re.escape(banned)}", audited.stdout), (
        audited.stdout + audited.stderr
    )
    linted = gate(project, "lint")
    assert linted.returncode != 0
    assert f"TID251 `{banned}" in linted.stdout


def test_a_nested_ruff_config_cannot_lift_the_sql_ban(project):
    """A ruff.toml beside the code replaces pyproject.toml's settings there, ban included."""
    package = project / "src" / package_of(project)
    (package / "builder.py").write_text(BUILDER)
    imports, call = TWO_MODULE_RUNNERS["pandas.read_sql"]
    (package / "report.py").write_text(
        imports + "from sqlalchemy import Connection\n\nfrom .builder import by_label\n\n\n"
        "def runs_labelled(connection: Connection, label: str) -> pd.DataFrame:\n"
        f"    return {call}\n"
    )
    (package / "ruff.toml").write_text('[lint]\nselect = ["E"]\n')
    audited = gate(project, "audit-code")
    assert audited.returncode != 0
    assert "report.py:8:12: TID251 `pandas.read_sql` is banned" in audited.stdout


def test_a_waiver_of_the_sql_ban_is_listed_by_the_gate(project):
    """A `# noqa: TID251`, a bare `# noqa` or a per-file-ignore passes, but in the open."""
    package = project / "src" / package_of(project)
    (package / "builder.py").write_text(BUILDER)
    (package / "report.py").write_text(
        "import pandas as pd\nfrom sqlalchemy import Connection\n\nfrom .builder import by_label\n"
        "\n\ndef runs_labelled(connection: Connection, label: str) -> pd.DataFrame:\n"
        "    return pd.read_sql(by_label(label), connection)  # noqa: TID251\n"
        "\n\ndef every_run(connection: Connection) -> pd.DataFrame:\n"
        '    return pd.read_sql_table("runs", connection)  # noqa\n'
    )
    (package / "other.py").write_text(
        "import sqlite3\n\n\ndef connect() -> sqlite3.Connection:\n"
        '    return sqlite3.connect("data/other.sqlite")\n'
    )
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.ruff.lint.per-file-ignores]\n",
            f'[tool.ruff.lint.per-file-ignores]\n"src/{package_of(project)}/other.py" = ["TID"]\n',
        )
    )
    audited = gate(project, "audit-code")
    assert audited.returncode == 0, audited.stdout + audited.stderr
    waived = [line for line in audited.stdout.splitlines() if line.startswith("waived: ")]
    prefix = f"waived: src/{package_of(project)}/"
    assert any(line.startswith(prefix + "report.py:8:") for line in waived), waived
    assert any(line.startswith(prefix + "report.py:12:") for line in waived), waived
    assert any(line.startswith(prefix + "other.py:1:") for line in waived), waived
    # The template's own waiver: the one helper that hands a select() to pandas.
    assert any("hardening/database.py" in line for line in waived), waived


# Each way an owner's edit could open a workflow to attack, and the finding
# zizmor must report: other files, other suffixes, spacing, composite actions.
WORKFLOW_FLAWS = {
    "injection in ci.yml": (
        ".github/workflows/ci.yml",
        "append-step",
        '      - run: echo "${{ github.event.pull_request.title }}"\n',
        "template-injection",
    ),
    "injection without spaces in a new .yaml workflow": (
        ".github/workflows/label.yaml",
        "new",
        "name: Label\non:\n  pull_request_target:\npermissions: {}\njobs:\n  label:\n"
        "    runs-on: ubuntu-24.04\n    permissions:\n      contents: read\n    steps:\n"
        '      - run: echo "${{github.head_ref}}"\n',
        "template-injection",
    ),
    "injection in a composite action": (
        ".github/actions/greet/action.yml",
        "new",
        "name: Greet\ndescription: Greets\nruns:\n  using: composite\n  steps:\n"
        '    - run: echo "${{ github.event.issue.title }}"\n      shell: bash\n',
        "template-injection",
    ),
    "tag instead of a SHA": (
        ".github/workflows/ci.yml",
        "unpin",
        "actions/checkout@v5",
        "unpinned-uses",
    ),
    "docker action on a tag": (
        ".github/workflows/ci.yml",
        "append-step",
        "      - uses: docker://alpine:3.20\n",
        "unpinned-images",
    ),
    "job container on a tag": (
        ".github/workflows/node.yml",
        "new",
        "name: Node\non:\n  push:\npermissions: {}\njobs:\n  node:\n"
        "    runs-on: ubuntu-24.04\n    container: node:22\n    permissions:\n"
        "      contents: read\n    steps:\n      - run: node --version\n",
        "unpinned-images",
    ),
    "injection in a composite action outside .github": (
        "actions/setup/action.yml",
        "new",
        "name: Setup\ndescription: Sets up\nruns:\n  using: composite\n  steps:\n"
        '    - run: echo "${{ github.event.pull_request.title }}"\n      shell: bash\n',
        "template-injection",
    ),
    "injection in a composite action under a folder named like an option": (
        "--cache-dir=x/action.yml",
        "new",
        "name: Setup\ndescription: Sets up\nruns:\n  using: composite\n  steps:\n"
        '    - run: echo "${{ github.event.pull_request.title }}"\n      shell: bash\n',
        "template-injection",
    ),
    "injection in a workflow a .gitignore hides": (
        ".github/workflows/release.yml",
        "new-ignored",
        "name: Release\non:\n  push:\npermissions: {}\njobs:\n  release:\n"
        "    runs-on: ubuntu-24.04\n    permissions:\n      contents: read\n    steps:\n"
        '      - run: echo "${{ github.event.head_commit.message }}"\n',
        "template-injection",
    ),
    "branch of a third-party action in a new workflow": (
        ".github/workflows/extra.yml",
        "new",
        "name: Extra\non:\n  push:\npermissions: {}\njobs:\n  extra:\n"
        "    runs-on: ubuntu-24.04\n    permissions:\n      contents: read\n    steps:\n"
        "      - uses: some-org/some-action@main\n",
        "unpinned-uses",
    ),
}


def plant_workflow_flaw(project: Path, path: str, how: str, text: str) -> None:
    target = project / path
    if how.startswith("new"):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if how == "new-ignored":  # hidden from tools that honour .gitignore, not from GitHub
            (target.parent / ".gitignore").write_text(target.name + "\n")
            git(project, "add", "--force", str(target))
    elif how == "append-step":
        target.write_text(target.read_text().rstrip("\n").split("\n  image:")[0] + "\n" + text)
    else:  # unpin
        source = target.read_text()
        pinned = re.sub(r"actions/checkout@[0-9a-f]{40} # \S+", text, source)
        assert pinned != source
        target.write_text(pinned)
    git(project, "add", "--all")


@pytest.mark.parametrize("flaw", list(WORKFLOW_FLAWS))
def test_zizmor_fails_the_gate_and_the_hook_on_a_workflow_flaw(project, flaw):
    path, how, text, finding = WORKFLOW_FLAWS[flaw]
    assert gate(project, "audit-workflows").returncode == 0
    plant_workflow_flaw(project, path, how, text)
    # A config file that switches the audits off is not read (--no-config).
    for config in (".github/zizmor.yml", "zizmor.yml"):
        (project / config).write_text(
            "rules:\n  template-injection:\n    disable: true\n"
            "  unpinned-uses:\n    disable: true\n"
        )
    done = gate(project, "audit-workflows")
    assert done.returncode != 0
    assert f"[{finding}]" in done.stdout, done.stdout + done.stderr
    hook_id = "zizmor" if path.startswith(".github/") else "zizmor-actions"
    hook = pre_commit(project, hook_id)
    assert hook.returncode != 0
    assert f"[{finding}]" in hook.stdout


def test_every_zizmor_waiver_is_listed_on_each_run(project):
    ci = project / ".github" / "workflows" / "ci.yml"
    text = ci.read_text().replace(
        "      - name: Lint\n",
        "      - run: echo ok  # zizmor: ignore[template-injection] a waiver\n      - name: Lint\n",
    )
    assert text != ci.read_text()
    ci.write_text(text)
    done = gate(project, "audit-workflows")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "waived: .github/workflows/ci.yml:" in done.stdout
    assert "# zizmor: ignore[template-injection] a waiver" in done.stdout
    # A file git is told to treat as binary is still searched.
    (project / ".gitattributes").write_text(".github/workflows/ci.yml -diff\n")
    done = gate(project, "audit-workflows")
    assert "# zizmor: ignore[template-injection] a waiver" in done.stdout


def test_zizmor_runs_offline(project):
    done = run_in(
        project, *offline(), "make", "--no-print-directory", *AS_INSTALLED, "audit-workflows"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


def offline() -> list[str]:
    """A command prefix that runs its command with no network but loopback."""
    if (
        shutil.which("unshare") is None
        or subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode
    ):
        unavailable("unshare cannot make a network namespace here")
    return ["unshare", "-rn"]


def test_make_sbom_runs_offline_and_lists_every_pin(project):
    done = run_in(project, *offline(), "make", "--no-print-directory", *AS_INSTALLED, "sbom")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""  # the dependency-graph warning is the only one, and it is muted
    assert "--validate" in done.stdout  # each document checked against the schema as written
    for document, lock in (("runtime.cdx.json", "base.txt"), ("dev.cdx.json", "dev.txt")):
        listed = json.loads((project / "build" / "sbom" / document).read_text())["components"]
        pins = parse_lock(project / "requirements" / lock)
        assert sorted((c["name"].lower(), c["version"]) for c in listed) == sorted(
            (name, pin.version) for name, pin in pins.items()
        )


def test_mypy_fails_the_lint_on_a_type_error_and_an_untyped_function(project):
    module = project / "src" / package_of(project) / "scores.py"
    module.write_text("def label(score: float) -> str:\n    return score\n")
    done = gate(project, "lint")
    assert done.returncode != 0
    assert 'scores.py:2: error: Incompatible return value type (got "float", expected "str")' in (
        done.stdout
    )
    module.write_text("def label(score):\n    return str(score)\n")
    done = gate(project, "lint")
    assert done.returncode != 0
    assert "scores.py:1: error: Function is missing a type annotation  [no-untyped-def]" in (
        done.stdout
    )


def test_mypy_fails_the_lint_on_a_bare_waiver_and_a_condition_always_true(project):
    """The error codes repo-review asks for (MY104-MY106) are on."""
    module = project / "src" / package_of(project) / "scores.py"
    module.write_text("def label(score: float) -> str:\n    return score  # type: ignore\n")
    done = gate(project, "lint")
    assert done.returncode != 0
    assert 'scores.py:2: error: "type: ignore" comment without error code' in done.stdout
    module.write_text(
        'def label(score: str) -> str:\n    return score if isinstance(score, str) else ""\n'
    )
    done = gate(project, "lint")
    assert done.returncode != 0
    assert "scores.py:2: error: If condition is always true  [redundant-expr]" in done.stdout
    module.write_text(
        "from pathlib import Path\n\n\n"
        'def label(where: Path) -> str:\n    return "given" if where else "none"\n'
    )
    done = gate(project, "lint")
    assert done.returncode != 0
    assert '"where" has type "Path" which does not implement __bool__' in done.stdout
    assert "[truthy-bool]" in done.stdout, done.stdout


COPIER_CONFLICT = "<<<<<<< before updating\nours\n=======\ntheirs\n>>>>>>> after updating\n"


def test_conflict_markers_an_encoding_hides_fail_the_audit_and_the_hook(project):
    """git stores SECURITY.md with markers but writes it out as UTF-16: a reader
    of the disk (pre-commit-hooks' check-merge-conflict) sees none. The
    project's check reads git's copy, in `make audit-conflicts` and pre-commit."""
    security = project / "SECURITY.md"
    security.write_text(security.read_text() + COPIER_CONFLICT)
    git(project, "add", "SECURITY.md")
    (project / ".gitattributes").write_text("SECURITY.md working-tree-encoding=UTF-16LE\n")
    git(project, "add", ".gitattributes")
    security.unlink()
    git(project, "checkout", "--", "SECURITY.md")
    assert b"<<<<<<< " not in security.read_bytes()
    line = len((project / "SECURITY.md").read_text(encoding="utf-16-le").splitlines()) - 4
    assert pre_commit(project, "check-merge-conflict").returncode == 0  # fooled
    for done in (gate(project, "audit-conflicts"), pre_commit(project, "conflicts")):
        assert done.returncode != 0
        assert f"SECURITY.md:{line}: conflict marker (staged)" in done.stdout + done.stderr


# --- the import contracts: lint-imports in `make lint` and pre-commit ---------


def only_template_modules(project: Path) -> str:
    """The package with its example modules emptied (they are the owner's to
    replace): the template's hardening, config.py and __init__.py remain, which
    import as the contracts say. Returns the package name."""
    package = package_of(project)
    for module in (project / "src" / package).glob("*.py"):
        if module.name not in {"__init__.py", "config.py"}:
            plant(project, str(module.relative_to(project)), '"""Replaced by the owner."""\n')
    done = gate(project, "lint")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 4 kept, 0 broken." in done.stdout
    return package


OWNER_CONTRACT = "modules outside hardening import {package}.hardening, never its modules"
HARDENING_CONTRACT = "{package}.hardening imports no other module of the package"
ROOT_CONTRACT = "{package}.hardening imports nothing from the package's __init__"
TOOLS_CONTRACT = "tools/ imports nothing of {package} but its Settings"


@pytest.mark.parametrize(
    ("path", "text", "contract", "shown"),
    [
        (
            "src/{package}/report.py",
            '"""Owner code."""\n\nfrom .hardening.database import connect\n\n'
            '__all__ = ["connect"]\n',
            OWNER_CONTRACT,
            "{package}.report -> {package}.hardening.database",
        ),
        (
            "src/{package}/report.py",
            '"""Owner code."""\n\nimport {package}.hardening.settings\n\n'
            "BASE = {package}.hardening.settings.HardenedSettings\n",
            OWNER_CONTRACT,
            "{package}.report -> {package}.hardening.settings",
        ),
        (
            "src/{package}/reports/weekly.py",
            '"""Owner code, importing late."""\n\nfrom typing import Any\n\n\n'
            "def settings_class() -> Any:\n"
            "    from ..hardening import settings\n\n"
            "    return settings.HardenedSettings\n",
            OWNER_CONTRACT,
            "{package}.reports.weekly -> {package}.hardening.settings",
        ),
        (
            "src/{package}/hardening/leak.py",
            '"""Planted."""\n\nfrom .. import config\n\n__all__ = ["config"]\n',
            HARDENING_CONTRACT,
            "{package}.hardening.leak -> {package}.config",
        ),
        (
            "src/{package}/hardening/leak.py",
            '"""Planted."""\n\nfrom .. import __doc__ as description\n\n'
            '__all__ = ["description"]\n',
            ROOT_CONTRACT,
            "{package}.hardening.leak -> {package}",
        ),
        (
            "tools/report.py",
            '"""Planted."""\n\nfrom {package}.hardening import HardenedSettings\n\n'
            '__all__ = ["HardenedSettings"]\n',
            TOOLS_CONTRACT,
            "tools.report -> {package}.hardening",
        ),
        (
            "tools/report.py",
            '"""Planted: only check_site.py and check_wheel.py may read Settings."""\n\n'
            'from {package}.config import Settings\n\n__all__ = ["Settings"]\n',
            TOOLS_CONTRACT,
            "tools.report -> {package}.config",
        ),
    ],
    ids=[
        "owner-from-submodule",
        "owner-import-submodule",
        "owner-subpackage-lazy",
        "hardening-imports-config",
        "hardening-imports-root",
        "tool-imports-hardening",
        "tool-imports-config",
    ],
)
def test_an_import_against_the_contracts_fails_the_lint_and_the_hook(
    project, path, text, contract, shown
):
    package = only_template_modules(project)
    path, text = path.format(package=package), text.format(package=package)
    if "/reports/" in path:
        plant(project, path.rsplit("/", 1)[0] + "/__init__.py", '"""Reports."""\n')
    plant(project, path, text)
    # A stray .importlinter with no contract changes nothing: the file is named.
    plant(project, ".importlinter", f"[importlinter]\nroot_package = {package}\n")
    done = gate(project, "lint")
    assert done.returncode != 0
    assert f"{contract.format(package=package)} BROKEN" in done.stdout, done.stdout + done.stderr
    assert shown.format(package=package) + " (l." in done.stdout, done.stdout
    hook = pre_commit(project, "import-linter")
    assert hook.returncode != 0
    assert f"{contract.format(package=package)} BROKEN" in hook.stdout, hook.stdout


@pytest.mark.parametrize("profile", [p for p in PROFILES if p not in INSTALL_PROFILES])
def test_mypy_strict_passes_on_every_profile(copie_session, default_project, profile):
    """The profiles no lifecycle test installs (its `make lint` runs mypy on the
    others), checked with the installed project's mypy and packages."""
    version = str(answer(profile, "python_version"))
    done = subprocess.run(
        [default_project / ".venv/bin/mypy", "--python-version", version],
        cwd=render(copie_session, profile),
        capture_output=True,
        text=True,
        # The installed project's cache: the libraries are checked once.
        env={**os.environ, "MYPY_CACHE_DIR": str(default_project / ".mypy_cache")},
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("Success: no issues found in ")


def test_make_docs_fails_on_a_broken_link(project):
    assert gate(project, "docs").returncode == 0
    assert (project / "build" / "site" / "api" / "index.html").is_file()
    index = project / "docs" / "index.md"
    index.write_text(index.read_text() + "\nSee [the old page](old.md).\n")
    done = gate(project, "docs")
    assert done.returncode != 0
    assert "contains a link 'old.md', but the target is not found" in done.stdout + done.stderr


# --- configuration a commit can plant (controls U2 and P8) -------------------


def pip_setting(project: Path, key: str) -> str:
    """One of pip's settings on this machine, as the project's pip reads it ('' if unset)."""
    done = run_in(project, ".venv/bin/python", "-m", "pip", "config", "get", key)
    return done.stdout.strip() if done.returncode == 0 else ""


def rogue_index(project: Path, name: str, version: str, folder: Path) -> tuple[str, str]:
    """A file:// index serving a rogue wheel of ``name`` ``version``: (its URL, the hash)."""
    digest = rogue_wheel(project, name, version, folder)
    [wheel] = (folder / "dist").glob("*.whl")
    page = folder / "simple" / name / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<a href="{wheel.as_uri()}#sha256={digest}">{wheel.name}</a>\n')
    return (folder / "simple").as_uri(), digest


def test_a_pip_conf_committed_in_the_venv_cannot_steer_the_lock_check(project, tmp_path):
    """A force-added .venv/pip.conf names the attacker's index, and one more hash
    under a pin is served there: the lock check must not count that index."""
    lock = project / "requirements" / "dev.txt"
    version = re.search(r"(?m)^requests==(\S+) ", lock.read_text())[1]
    url, rogue = rogue_index(project, "requests", version, tmp_path)
    add_hash(lock, "requests", rogue)
    extra = " ".join([pip_setting(project, "global.extra-index-url"), url]).strip()
    planted = project / ".venv" / "pip.conf"
    planted.write_text(f"[global]\nextra-index-url = {extra}\n")
    try:
        git(project, "add", "--force", ".venv/pip.conf", "requirements/dev.txt")
        done = gate(project, "lock-check")
        assert done.returncode != 0, done.stdout
        assert "git tracks files under .venv" in done.stderr
        assert "  .venv/pip.conf\n" in done.stderr
        # Untracked, the file still does not count: the tool refuses pip
        # settings from inside the venv, whoever put them there.
        git(project, "rm", "--quiet", "--cached", ".venv/pip.conf")
        checked = run_in(
            project, ".venv/bin/python", "tools/check_lock_hashes.py", "requirements/dev.txt"
        )
        assert checked.returncode == 1, checked.stdout
        assert f"{planted}: pip settings inside the virtualenv are not trusted" in checked.stderr
        assert url not in checked.stdout + checked.stderr
    finally:
        planted.unlink(missing_ok=True)  # git ignores .venv: the reset would keep it


@pytest.mark.parametrize(
    ("backend", "planted"),
    [
        ("pip-tools", ".venv/pip.conf"),
        ("uv", ".venv/pip.conf"),
        ("pip-tools", ".venv/lib/python3.11/site-packages/zz_payload.pth"),
        # The same folder on a case-insensitive file system (macOS, Windows).
        ("pip-tools", ".VENV/pyvenv.cfg"),
        # A tracked .venv link: the venv would be made in the folder it names.
        ("pip-tools", ".venv -> venv-settings"),
    ],
)
def test_install_refuses_a_tree_that_tracks_files_under_the_venv(
    copie_session, gnu_make, backend, planted
):
    project = render(copie_session, "default", lock_backend=backend)
    commit_all(project)
    if " -> " in planted:
        link, target = planted.split(" -> ")
        (project / target).mkdir()
        (project / target / "pip.conf").write_text("[global]\nindex-url = https://x.invalid/\n")
        (project / link).symlink_to(target)
        planted = link
    else:
        (project / planted).parent.mkdir(parents=True)
        (project / planted).write_text("[global]\nindex-url = https://x.invalid/\n")
    git(project, "add", "--all", "--force")
    git(project, "commit", "--quiet", "--message", "Planted")
    done = run_make(
        project, "install", f"PYTHON={python_path(str(answer('default', 'python_version')))}"
    )
    assert done.returncode != 0
    assert "git tracks files under .venv" in done.stderr
    assert f"  {planted}\n" in done.stderr
    assert not (project / ".venv" / "bin").exists()
    assert not (project / ".venv" / ".installed").exists()


def plant(project: Path, path: str, text: str) -> Path:
    """Write and stage ``path`` (a commit's content, as `make` sees it)."""
    target = project / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git(project, "add", "--force", path)
    return target


SHELL_CALL = (
    "import subprocess\n\n\ndef run(command: str) -> int:\n"
    "    return subprocess.call(command, shell=True)\n"
)


def test_a_bandit_file_beside_the_code_neither_switches_bandit_off_nor_passes(project):
    package = f"src/{package_of(project)}"
    plant(project, f"{package}/hardening/data/.bandit", "[bandit]\ntests = B101\n")
    plant(project, f"{package}/shell.py", SHELL_CALL)
    done = gate(project, "audit-code")
    assert done.returncode != 0
    assert "B602" in done.stdout, done.stdout + done.stderr
    refused = gate(project, "audit-config")
    assert refused.returncode != 0
    assert f"{package}/hardening/data/.bandit" in refused.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".ruff.toml", "[lint]\nselect = []\n"),
        ("ruff.toml", "[lint]\nselect = []\n"),
        ("pyproject.toml", "[tool.ruff.lint]\nselect = []\n"),
    ],
    ids=[".ruff.toml", "ruff.toml", "pyproject.toml"],
)
def test_a_nested_ruff_config_neither_switches_ruff_off_nor_passes(project, name, text):
    folder = f"src/{package_of(project)}/planted"
    plant(project, f"{folder}/{name}", text)
    plant(project, f"{folder}/__init__.py", SHELL_CALL)
    done = gate(project, "lint")
    assert done.returncode != 0
    assert "S602" in done.stdout, done.stdout + done.stderr
    # Once the code is fixed, the planted file itself fails the lint.
    plant(project, f"{folder}/__init__.py", '"""Planted."""\n')
    refused = gate(project, "lint")
    assert refused.returncode != 0
    assert f"{folder}/{name}" in refused.stderr, refused.stdout + refused.stderr


@pytest.mark.parametrize("name", [".mypy.ini", "mypy.ini"])
def test_a_mypy_ini_neither_switches_mypy_off_nor_passes(project, name):
    plant(project, name, "[mypy]\nfiles = src\nignore_errors = True\n")
    module = plant(
        project,
        f"src/{package_of(project)}/scores.py",
        "def label(score: float) -> str:\n    return score\n",
    )
    done = gate(project, "lint")
    assert done.returncode != 0
    assert 'scores.py:2: error: Incompatible return value type (got "float", expected "str")' in (
        done.stdout
    ), done.stdout + done.stderr
    module.write_text("def label(score: float) -> str:\n    return str(score)\n")
    refused = gate(project, "lint")
    assert refused.returncode != 0
    assert name in refused.stderr, refused.stdout + refused.stderr


@pytest.mark.parametrize("name", [".pytest.ini", "pytest.ini"])
def test_a_pytest_ini_cannot_shrink_the_test_run(project, name):
    plant(project, name, "[pytest]\ntestpaths = tests/hardening/test_keygen.py\n")
    plant(
        project, "tests/test_planted.py", "def test_planted() -> None:\n    raise AssertionError\n"
    )
    # Collect only: the planted test is in the run, and the run is the whole suite.
    done = run_make(project, *AS_INSTALLED, "test", env={"PYTEST_ADDOPTS": "--collect-only -q"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tests/test_planted.py::test_planted" in done.stdout
    assert "tests/hardening/test_check_sql.py::" in done.stdout  # beyond the planted testpaths
    refused = gate(project, "audit-config")
    assert refused.returncode != 0
    assert name in refused.stderr


# Every settings file a gate's tool would read besides what the project
# declares, where a commit can plant it.
STRAY_CONFIG = [
    "src/pkg/.bandit",
    "ruff.toml",
    "src/pkg/.ruff.toml",
    "src/pkg/pyproject.toml",
    "mypy.ini",
    ".mypy.ini",
    "setup.cfg",
    "pytest.ini",
    "tests/.pytest.ini",
    "tox.ini",
    ".coveragerc",
    "pip.conf",
    "config/pip.ini",
    "uv.toml",
    ".pip-tools.toml",
    ".importlinter",
    "src/pkg/.importlinter",
    "docs/.pre-commit-config.yaml",
    "docs/.secrets.baseline",
    "src/.hadolint.yaml",
    "SRC/Setup.CFG",
    ".venv/lib/sitecustomize.py",
    "src/sitecustomize.py",
    "src/pkg/usercustomize.py",
    "src/extra.pth",
]


def test_a_sitecustomize_that_ends_every_python_with_0_cannot_pass_the_config_check(project):
    """The editable install puts src/ on the path of every tool in .venv, and
    Python imports a sitecustomize first: one that ends each process with
    status 0 passes every gate that runs on the venv's Python. The check that
    refuses it runs isolated (-I -S), so it still fails, naming the file."""
    plant(project, "src/sitecustomize.py", "import os\n\nos._exit(0)\n")
    assert run_in(project, ".venv/bin/python", "-c", "raise SystemExit(3)").returncode == 0
    for target in ("audit-config", "audit"):
        done = gate(project, target)
        assert done.returncode != 0, target
        assert "  src/sitecustomize.py\n" in done.stderr, (target, done.stderr)


def test_stray_settings_files_fail_the_lint_the_audit_and_the_hook_by_name(project):
    assert gate(project, "audit-config").returncode == 0
    for path in STRAY_CONFIG:
        plant(project, path, "# planted\n")
    hook = pre_commit(project, "config-files")
    assert hook.returncode != 0
    for target in ("audit-config", "lint"):
        done = gate(project, target)
        assert done.returncode != 0, target
        for path in STRAY_CONFIG:
            assert f"  {path}\n" in done.stderr, (target, path, done.stdout + done.stderr)
            assert f"  {path}\n" in hook.stdout, (path, hook.stdout)


# Comments that set mypy or ruff for a whole file, and one line each.
MODULE_BODY = '"""Planted."""\n\n\ndef untyped(x):\n    return x + 1\n\n\nvalue: int = "text"\n'
INLINE_SETTINGS = {
    "src/pkg/ignored.py": "# mypy: ignore-errors\n",
    "src/pkg/bare.py": "# type: ignore\n",
    "src/pkg/codes.py": "# mypy: disable-error-code=assignment, no-untyped-def\n",
    "src/pkg/untyped.py": "#mypy:allow-untyped-defs\n",
    "src/pkg/ruffed.py": "# ruff: noqa\n",
    "tools/flaked.py": "  # FLAKE8: NOQA\n",
}


def test_comments_that_set_mypy_or_ruff_for_a_file_fail_the_lint_and_the_hook(project):
    """mypy reads `# mypy:` comments and a `# type: ignore` line at the top as
    settings of the module, ruff `# ruff: noqa`: a commit could switch strict
    typing or the SQL ban off for the code beside it, with mypy.ini refused."""
    package = package_of(project)
    for path, comment in INLINE_SETTINGS.items():
        plant(project, path.replace("pkg", package), comment + MODULE_BODY)
    notebook = project / "notebooks" / "scratch.ipynb"
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    cell["source"] = ["import os\n", "# ruff: noqa\n"]
    plant(project, "notebooks/scratch.ipynb", json.dumps({"cells": [cell], "metadata": {},
          "nbformat": 4, "nbformat_minor": 5}))  # fmt: skip
    # A package at the top that lint-imports would read instead of src/.
    plant(project, f"{package}/__init__.py", "")
    hook = pre_commit(project, "config-files")
    assert hook.returncode != 0
    # make lint stops at its first failing step; audit-config is its last.
    assert gate(project, "lint").returncode != 0
    done = gate(project, "audit-config")
    assert done.returncode != 0
    planted = [path.replace("pkg", package) for path in INLINE_SETTINGS]
    planted += [notebook.relative_to(project).as_posix(), f"{package}/__init__.py"]
    for path in planted:
        assert f"  {path}\n" in done.stderr, (path, done.stdout + done.stderr)
        assert f"  {path}\n" in hook.stdout, (path, hook.stdout)


def test_make_docs_refuses_an_extension_that_inlines_env(project):
    """pymdownx.b64 and a link outside docs/ put .env, base64-encoded, into a page."""
    key_line = next(
        line
        for line in (project / ".env").read_text().splitlines()
        if line.startswith("DATA_ENCRYPTION_KEY=")
    )
    (project / "assets").mkdir()
    (project / "assets" / "logo.png").symlink_to("../.env")
    config = project / "mkdocs.yml"
    extensions = "markdown_extensions:\n"
    config.write_text(config.read_text().replace(extensions, extensions + "  - pymdownx.b64\n"))
    index = project / "docs" / "index.md"
    index.write_text(index.read_text() + '\n<img src="assets/logo.png">\n')
    shutil.rmtree(project / "build" / "site", ignore_errors=True)
    done = gate(project, "docs")
    assert done.returncode != 0
    assert "error: mkdocs.yml: markdown_extensions: pymdownx.b64" in done.stderr
    assert key_line.split("=", 1)[1] not in done.stdout + done.stderr
    assert not (project / "build" / "site").exists()  # refused before the build
