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
    assert f"{package_of(project)}/defaults.env: not a file of the snapshot of what git tracks" in (
        done.stderr
    )


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


def plant_query(project: Path, body: str) -> None:
    (project / "src" / package_of(project) / "queries.py").write_text(
        "from sqlalchemy import Connection, CursorResult, text\n\n\n"
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
    plant_query(
        project,
        '    sql = "SELECT * FROM runs WHERE label = "\n'
        "    sql += label\n"
        "    return connection.execute(text(sql))\n",
    )
    audited = gate(project, "audit-code")
    assert audited.returncode != 0
    assert "B608" not in audited.stdout  # bandit passed: the next step failed
    assert "queries.py:7: text() is given SQL text that is not a string literal" in audited.stderr


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
    hook = subprocess.run(
        [project / ".venv/bin/pre-commit", "run", hook_id, "--all-files"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PRE_COMMIT_HOME": str(project.parent / "pre-commit-home")},
        check=False,
    )
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
