"""The container files: static checks on every Docker profile, and a real
build and hardened run of the default project's image (controls C1-C5, S5),
and of the service in the same image over TLS (W9).
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import socket
import ssl
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import trustme
import yaml

from commands import (
    check,
    checkov,
    commit_all,
    python_path,
    render,
    run_make,
    scanner,
    unavailable,
)
from docker_support import buildkit_client, daemon_running, stand_in_base
from profiles import DEFAULT_PYTHON, PROFILES, answer, answers

DOCKER_PROFILES = [name for name in PROFILES if answers(name).get("use_docker", True)]
DIGEST_PINNED = re.compile(r"^python:3\.1[1-3]-slim@sha256:[0-9a-f]{64}$")
CANARY = "canary-9d1e-never-in-an-image"
UNTRACKED = "canary-4b7a-untracked-never-in-an-image"
UNCOMMITTED = "# an uncommitted edit to a tracked file: built, as the README says"
PACKAGE = "container_check"
# Where the service's page tells the owner to put the certificate and its key.
TLS_CERT = "secrets/tls-cert.pem"
TLS_KEY = "secrets/tls-key.pem"
HARDENED_RUN = [
    "--read-only",
    "--tmpfs",
    "/tmp",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges:true",
    "--network",
    "none",
]


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


@pytest.mark.parametrize("profile", DOCKER_PROFILES)
def test_dockerfile_is_least_privilege(rendered, profile):
    steps = instructions((rendered(profile) / "Dockerfile").read_text())
    keywords = [keyword for keyword, _ in steps]
    base_arg = next(rest for keyword, rest in steps if keyword == "ARG" and "BASE_IMAGE=" in rest)
    assert DIGEST_PINNED.match(base_arg.split("=", 1)[1])
    froms = [rest for keyword, rest in steps if keyword == "FROM"]
    assert froms == ["${BASE_IMAGE} AS builder", "${BASE_IMAGE} AS runtime"]
    assert "ADD" not in keywords
    runtime = steps[keywords.index("FROM", keywords.index("FROM") + 1) :]
    assert ("USER", "10001:10001") in runtime
    assert any(k == "HEALTHCHECK" for k, _ in runtime)
    entrypoint = next(rest for keyword, rest in runtime if keyword == "ENTRYPOINT")
    assert isinstance(json.loads(entrypoint), list)  # exec form
    assert not any("curl" in rest or "wget" in rest for _, rest in steps)
    assert not any(
        k in {"ARG", "ENV"} and re.search(r"(?i)secret|token|cert|index", rest) for k, rest in steps
    )


@pytest.mark.parametrize("profile", DOCKER_PROFILES)
def test_dockerignore_keeps_secrets_and_data_out(rendered, profile):
    lines = (rendered(profile) / ".dockerignore").read_text().splitlines()
    allowed = [line for line in lines if line.startswith("!")]
    # uv's lock too when uv installs the image's dependencies.
    uv = ["!requirements/uv.txt"] if answer(profile, "lock_backend") == "uv" else []
    assert allowed == ["!requirements/base.txt", *uv, "!dist/*.whl"]
    assert lines.index("*") < lines.index(allowed[0])
    for entry in (".env", ".env.*", ".git", ".venv", "data/", "models/", "notebooks/"):
        assert entry in lines, entry


@pytest.mark.parametrize("profile", DOCKER_PROFILES)
def test_compose_service_is_hardened(rendered, profile):
    compose = yaml.safe_load((rendered(profile) / "compose.yaml").read_text())
    services = compose["services"]
    # The pipeline, and the model service with use_service: each as hardened.
    assert set(services) == (
        {"pipeline", "serve"} if answer(profile, "use_service") else {"pipeline"}
    )
    for service in services.values():
        assert service["read_only"] is True
        assert service["tmpfs"] == ["/tmp"]
        assert service["cap_drop"] == ["ALL"]
        assert service["security_opt"] == ["no-new-privileges:true"]
        assert service["user"] == "10001:10001"
        assert service["restart"] == "on-failure:5"
        assert set(service["deploy"]["resources"]["limits"]) == {"cpus", "memory", "pids"}
        assert service["env_file"] == [{"path": ".env", "required": False}]
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), port
        assert {v.split(":")[1] for v in service["volumes"]} == {
            "/work/data",
            "/work/models",
            "/work/reports",
        }
    assert "environment" not in services["pipeline"]
    assert "ports" not in services["pipeline"]


@pytest.mark.parametrize("profile", [p for p in DOCKER_PROFILES if answer(p, "use_service")])
def test_compose_serves_over_tls_with_its_secrets_mounted(rendered, profile):
    """The service listens on every address of its container only behind a port
    published on loopback, speaks TLS with a certificate and key mounted as
    secrets (never in the image), reads the model and figures read-only, and
    its health check calls /healthz over TLS."""
    project = rendered(profile)
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    serve = compose["services"]["serve"]
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    assert serve["entrypoint"] == ["python", "-m", f"{package}.serving"]
    assert serve["ports"] == ["127.0.0.1:8000:8000"]
    assert serve["secrets"] == ["service_tls_cert", "service_tls_key"]
    assert compose["secrets"] == {
        "service_tls_cert": {"file": f"./{TLS_CERT}"},
        "service_tls_key": {"file": f"./{TLS_KEY}"},
    }
    assert serve["environment"] == {
        "SERVICE_HOST": "0.0.0.0",
        "SERVICE_PORT": "8000",
        "SERVICE_TLS_CERT_FILE": "/run/secrets/service_tls_cert",
        "SERVICE_TLS_KEY_FILE": "/run/secrets/service_tls_key",
    }
    assert sorted(serve["volumes"]) == [
        "./data:/work/data",
        "./models:/work/models:ro",
        "./reports:/work/reports:ro",
    ]
    test = serve["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "https://127.0.0.1:" in test[3] and "/healthz" in test[3]
    assert "CERT_NONE" not in test[3]
    # Where the certificate and key go is ignored by git and kept out of the build context.
    assert "secrets/" in (project / ".gitignore").read_text().splitlines()
    assert "secrets/" in (project / ".dockerignore").read_text().splitlines()


@pytest.mark.parametrize("profile", DOCKER_PROFILES)
def test_compose_runs_only_the_image_make_docker_build_checked(rendered, profile):
    """compose builds nothing (a plain `docker build .` of dist/ checks nothing) and pulls nothing.

    No `docker compose` here (Debian's docker.io 20.10 has no compose plugin):
    its own reading of these keys is not run.
    """
    project = rendered(profile)
    services = yaml.safe_load((project / "compose.yaml").read_text())["services"]
    image = re.search(r"(?m)^IMAGE \?= (\S+)$", (project / "Makefile").read_text())
    assert image is not None
    for service in services.values():
        assert "build" not in service
        assert service["pull_policy"] == "never"  # never another registry's image of that name
        assert service["image"] == image[1]


@pytest.mark.parametrize("profile", DOCKER_PROFILES)
def test_hadolint_and_checkov_find_nothing(rendered, profile):
    project = rendered(profile)
    linted = subprocess.run(
        [scanner("hadolint"), "--config", ".hadolint.yaml", "Dockerfile"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    [report], done = checkov(project, "--file", "Dockerfile", "--framework", "dockerfile")
    assert report["results"]["failed_checks"] == [], report["results"]["failed_checks"]
    # The one waiver, stated in the Dockerfile: checkov cannot resolve ARG BASE_IMAGE.
    assert report["summary"]["skipped"] == 1
    waivers = re.findall(r"checkov:skip=(\w+)", (project / "Dockerfile").read_text())
    assert waivers == ["CKV_DOCKER_7"]
    assert report["summary"]["passed"] > 10
    assert done.returncode == 0


def test_hadolint_requires_a_healthcheck(rendered, tmp_path):
    """DL3057 is off by default; the project's .hadolint.yaml turns it on."""
    project = rendered("default")
    dockerfile = (project / "Dockerfile").read_text()
    without = re.sub(r"HEALTHCHECK (NONE|[^\n]*\\\n[^\n]*)\n", "", dockerfile)
    assert "HEALTHCHECK" not in without
    (tmp_path / "Dockerfile").write_text(without)
    done = subprocess.run(
        [
            scanner("hadolint"),
            "--config",
            str(project / ".hadolint.yaml"),
            str(tmp_path / "Dockerfile"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "DL3057" in done.stdout


# --- the real image -------------------------------------------------------


def uses_the_image(test):
    """One worker builds each image once (the fixtures are module-scoped, so two
    workers would each build it) and owns the stand-in base while it does; the
    builds and runs take about 230 s, so they start early."""
    return pytest.mark.xdist_group("image")(pytest.mark.slow(230)(test))


@pytest.fixture(scope="module")
def docker() -> str:
    client = buildkit_client()
    if client is None:
        unavailable("no docker client that can build with BuildKit")
    if not daemon_running(client):
        unavailable("the Docker daemon is not running")
    return client


# Both lock backends build the image: pip, or uv fetched hash-checked from
# requirements/uv.txt into the builder stage only.
# Built images by backend: pytest tears a parametrized fixture down whenever
# the next test wants the other parameter, so the fixture alone would build
# each image once per switch.
BUILT: dict[str, tuple[str, Path]] = {}


# The uv image is a service project's (use_service): the same image runs the
# pipeline and the service, so the service costs no build of its own.
SERVES = {"pip-tools": False, "uv": True}


@pytest.fixture(scope="module", params=["pip-tools", "uv"])
def built_image(docker, copie_session, request) -> tuple[str, Path]:
    return image_for(docker, copie_session, request.param)


@pytest.fixture(scope="module")
def service_image(docker, copie_session) -> tuple[str, Path]:
    return image_for(docker, copie_session, "uv")


def image_for(docker: str, copie_session, backend: str) -> tuple[str, Path]:
    if backend not in BUILT:
        BUILT[backend] = build_image(docker, copie_session, backend)
    return BUILT[backend]


def build_image(docker: str, copie_session, backend: str) -> tuple[str, Path]:
    base = stand_in_base(docker)
    project = render(
        copie_session,
        "default",
        project_name="Container Check",
        lock_backend=backend,
        use_service=SERVES[backend],
    )
    assert (project / "src" / PACKAGE).is_dir()
    commit_all(project)
    # A secret in the build context that must reach no layer of the image.
    (project / ".env").write_text(f"METRICS_WEBHOOK_TOKEN={CANARY}\n")
    if SERVES[backend]:
        plant_tls_files(project)
    # Files git does not track, where a wheel built from the folder would take
    # them; and an edit git has not committed, which is built.
    package = project / "src" / PACKAGE
    (package / "local_settings.toml").write_text(f'token = "{UNTRACKED}"\n')
    (package / "data").mkdir()
    (package / "data" / "customers.csv").write_text(f"name,card\nAda,{UNTRACKED}\n")
    # The example's database holds its source table in clear: never in the image.
    (project / "data" / "warehouse.sqlite").write_text(f"SQLite format 3\x00{UNTRACKED}\n")
    with (package / "__init__.py").open("a") as init:
        init.write(UNCOMMITTED + "\n")
    check(run_make(project, "install", f"PYTHON={python_path(DEFAULT_PYTHON)}"))
    build = [
        "docker-build",
        f"DOCKER={docker}",
        f"BASE_IMAGE={base}",
        f"IMAGE=container-check:{backend}",
    ]
    ca_bundle = Path(os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt"))
    if ca_bundle.is_file():
        build.append(f"PIP_CA_BUNDLE={ca_bundle}")
    built = run_make(project, *build)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert (
        f"note: not in the image (untracked): src/{PACKAGE}/data/customers.csv "
        f"src/{PACKAGE}/local_settings.toml"
    ) in built.stdout
    # The stand-in database was only there to be kept out; the run makes its own.
    (project / "data" / "warehouse.sqlite").unlink()
    return f"container-check:{backend}", project


def plant_tls_files(project: Path) -> None:
    """The service's certificate and key where its page says to put them, in
    the build context, from a throwaway CA (kept beside them); the key
    readable by UID 10001 only, as documented. git must ignore all three."""
    ca = trustme.CA()
    (project / "secrets").mkdir()
    ca.cert_pem.write_to_path(project / "secrets" / "ca.pem")
    leaf = ca.issue_cert("serve.container-check.test", "127.0.0.1")
    leaf.cert_chain_pems[0].write_to_path(project / TLS_CERT)
    leaf.private_key_pem.write_to_path(project / TLS_KEY)
    os.chown(project / TLS_KEY, 10001, 10001)
    (project / TLS_KEY).chmod(0o400)
    ignored = git_check_ignore(project, TLS_CERT, TLS_KEY, "secrets/ca.pem")
    assert ignored == [TLS_CERT, TLS_KEY, "secrets/ca.pem"]


def git_check_ignore(project: Path, *paths: str) -> list[str]:
    done = subprocess.run(
        ["git", "check-ignore", *paths], cwd=project, capture_output=True, text=True, check=False
    )
    return done.stdout.split()


def run_in(docker: str, image: str, *args: str, entrypoint: str | None = None):
    command = [docker, "run", "--rm", *HARDENED_RUN]
    if entrypoint:
        command += ["--entrypoint", entrypoint]
    return subprocess.run([*command, image, *args], capture_output=True, text=True, check=False)


# The pipeline's run in each image, with the keys it was given: the service
# serves the model it signed.
RUNS: dict[str, tuple[subprocess.CompletedProcess[str], Path]] = {}


def pipeline_run(
    docker: str, image: str, project: Path
) -> tuple[subprocess.CompletedProcess[str], Path]:
    if image not in RUNS:
        RUNS[image] = run_the_pipeline(docker, image, project)
    return RUNS[image]


def run_the_pipeline(
    docker: str, image: str, project: Path
) -> tuple[subprocess.CompletedProcess[str], Path]:
    for folder in ("data", "models", "reports"):
        subprocess.run(["chown", "-R", "10001:10001", str(project / folder)], check=True)
    # Keys reach the container as `make docker-run` passes them: an env file.
    env_file = project / "build" / "keys.env"
    check(subprocess.run(["python3", project / "tools/keygen.py", env_file], capture_output=True))
    done = subprocess.run(
        [
            docker,
            "run",
            "--rm",
            *HARDENED_RUN,
            "--user",
            "10001:10001",
            "--memory",
            "2g",
            "--pids-limit",
            "256",
            "--env-file",
            str(env_file),
            "-v",
            f"{project / 'data'}:/work/data",
            "-v",
            f"{project / 'models'}:/work/models",
            "-v",
            f"{project / 'reports'}:/work/reports",
            image,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return done, env_file


@uses_the_image
def test_pipeline_runs_hardened_and_writes_only_to_its_volumes(docker, built_image):
    image, project = built_image
    done, _ = pipeline_run(docker, image, project)
    assert done.returncode == 0, done.stderr[-3000:]
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert records[-1]["message"].startswith("Done: run 1, accuracy")
    # Nothing to warn about: matplotlib finds its writable MPLCONFIGDIR on /tmp.
    assert [r["message"] for r in records if r["level"] not in {"DEBUG", "INFO"}] == []
    assert json.loads((project / "reports" / "metrics.json").read_text())["accuracy"] > 0.9
    figures = sorted(path.name for path in (project / "reports" / "figures").glob("*.png"))
    assert [name.split("-run000001-")[1] for name in figures] == [
        "confusion-matrix.png",
        "roc-curve.png",
    ]
    # Encrypted data, a signed model and the run recorded in the SQLite file.
    assert sorted(path.name for path in (project / "data/processed").glob("*.csv*")) == [
        "test.csv.enc",
        "train.csv.enc",
    ]
    assert (project / "models" / "model.skops.hmac").is_file()
    assert (project / "data" / "warehouse.sqlite").is_file()


# compose.yaml's keys, as `docker run` flags: compose itself is not here
# (Debian's docker.io 20.10 has no compose plugin), so the test runs the
# serve service's own settings read from the rendered file, and refuses a key
# it does not translate rather than drop it.
COMPOSE_KEYS = {
    "image",
    "pull_policy",
    "entrypoint",
    "user",
    "read_only",
    "tmpfs",
    "cap_drop",
    "security_opt",
    "env_file",
    "environment",
    "secrets",
    "ports",
    "volumes",
    "healthcheck",
    "deploy",
    "restart",
}


def compose_run(compose: dict, name: str, project: Path, env_file: Path, port: int) -> list[str]:
    """`docker run` arguments for compose service ``name``: its env file is
    ``env_file`` (the pipeline's keys), its loopback port ``port`` on the host."""
    service = compose["services"][name]
    assert set(service) <= COMPOSE_KEYS, set(service) - COMPOSE_KEYS
    flags = ["--user", service["user"], "--env-file", str(env_file)]
    if service["read_only"]:
        flags.append("--read-only")
    for path in service["tmpfs"]:
        flags += ["--tmpfs", path]
    for capability in service["cap_drop"]:
        flags += ["--cap-drop", capability]
    for option in service["security_opt"]:
        flags += ["--security-opt", option]
    limits = service["deploy"]["resources"]["limits"]
    flags += ["--cpus", limits["cpus"], "--memory", limits["memory"]]
    flags += ["--pids-limit", str(limits["pids"])]
    for key, value in service["environment"].items():
        flags += ["--env", f"{key}={value}"]
    for secret in service["secrets"]:
        source = project / compose["secrets"][secret]["file"]
        flags += ["--volume", f"{source}:/run/secrets/{secret}:ro"]
    for volume in service["volumes"]:
        host, _, inside = volume.partition(":")
        flags += ["--volume", f"{(project / host).resolve()}:{inside}"]
    for published in service["ports"]:
        address, _, inside = published.split(":")
        assert address == "127.0.0.1"
        flags += ["--publish", f"{address}:{port}:{inside}"]
    health = service["healthcheck"]
    assert health["test"][0] == "CMD"
    # docker run takes a shell line; the interval is short so the test need not wait 30 s.
    flags += ["--health-cmd", shlex.join(health["test"][1:]), "--health-interval", "1s"]
    flags += ["--health-timeout", health["timeout"], "--health-retries", str(health["retries"])]
    entrypoint, *arguments = service["entrypoint"]
    return [*flags, "--entrypoint", entrypoint, service["image"], *arguments]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str, context: ssl.SSLContext, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_healthy(docker: str, container: str, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        [state] = json.loads(
            check(subprocess.run([docker, "inspect", container], capture_output=True, text=True))
        )
        status = state["State"].get("Health", {}).get("Status")
        if status == "healthy" or not state["State"]["Running"] or time.monotonic() > deadline:
            return state
        time.sleep(1)


@uses_the_image
def test_the_service_runs_hardened_over_tls_with_its_secrets_mounted(docker, service_image):
    """compose.yaml's serve service, run from the image `make docker-build` made:
    read-only, no capabilities, UID 10001, the certificate and key mounted at
    run time, healthy by its own check, and answering over TLS on loopback."""
    image, project = service_image
    done, env_file = pipeline_run(docker, image, project)
    assert done.returncode == 0, done.stderr[-3000:]  # the signed model it serves
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    assert compose["services"]["serve"]["image"] == "container-check:latest"
    subprocess.run([docker, "tag", image, "container-check:latest"], check=True)
    port = free_port()
    container = f"container-check-serve-{port}"
    started = subprocess.run(
        [
            docker,
            "run",
            "--detach",
            "--name",
            container,
            *compose_run(compose, "serve", project, env_file, port),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        assert started.returncode == 0, started.stderr
        state = wait_healthy(docker, container)
        logs = subprocess.run([docker, "logs", container], capture_output=True, text=True)
        assert state["State"]["Health"]["Status"] == "healthy", logs.stdout + logs.stderr
        host = state["HostConfig"]
        assert host["ReadonlyRootfs"] is True
        assert host["CapDrop"] == ["ALL"]
        assert host["SecurityOpt"] == ["no-new-privileges:true"]
        assert {b["HostIp"] for bs in host["PortBindings"].values() for b in bs} == {"127.0.0.1"}
        # The running process itself: UID 10001, no capability, no new privileges.
        status = check(
            subprocess.run(
                [docker, "exec", container, "cat", "/proc/1/status"],
                capture_output=True,
                text=True,
            )
        )
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        assert fields["Uid"].split() == ["10001"] * 4
        assert fields["CapEff"].strip() == fields["CapPrm"].strip() == "0" * 16
        assert fields["NoNewPrivs"].strip() == "1"
        # The model and the figures are read-only to the service.
        wrote = subprocess.run(
            [docker, "exec", container, "touch", "/work/models/x", "/work/reports/x"],
            capture_output=True,
        )
        assert wrote.returncode != 0
        # Over TLS, verified against the throwaway CA; nothing without it.
        trusted = ssl.create_default_context(cafile=project / "secrets" / "ca.pem")
        base = f"https://127.0.0.1:{port}"
        assert fetch(f"{base}/healthz", trusted) == (200, b'{"status":"ok"}')
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            fetch(f"{base}/healthz", ssl.create_default_context())
        assert fetch(f"{base}/v1/runs", trusted)[0] == 401
        # A token made in the same volumes opens the runs the pipeline recorded.
        made = run_with_volumes(
            docker, image, project, env_file, "tokens", "create", "ci", "--scope", "read"
        )
        token = check(made).splitlines()[-1]
        status_code, body = fetch(f"{base}/v1/runs", trusted, token)
        assert status_code == 200, body
        assert len(json.loads(body)) == 1
    finally:
        subprocess.run([docker, "rm", "--force", container], capture_output=True, check=False)


def run_with_volumes(docker: str, image: str, project: Path, env_file: Path, *args: str):
    return subprocess.run(
        [
            docker,
            "run",
            "--rm",
            *HARDENED_RUN,
            "--user",
            "10001:10001",
            "--env-file",
            str(env_file),
            "-v",
            f"{project / 'data'}:/work/data",
            "-v",
            f"{project / 'models'}:/work/models",
            "-v",
            f"{project / 'reports'}:/work/reports",
            image,
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@uses_the_image
def test_runs_as_uid_10001_without_a_compiler(docker, built_image):
    image, _ = built_image
    assert run_in(docker, image, "-u", entrypoint="id").stdout.strip() == "10001"
    assert run_in(docker, image, "-g", entrypoint="id").stdout.strip() == "10001"
    found = run_in(
        docker, image, "-c", "command -v gcc cc c++ clang make pip uv", entrypoint="/bin/sh"
    )
    assert found.stdout.strip() == "", found.stdout
    # Neither installer reached the runtime stage, not even as a module.
    modules = run_in(
        docker,
        image,
        "-c",
        "import importlib.util as u; print([m for m in ('pip', 'uv') if u.find_spec(m)])",
        entrypoint="python",
    )
    assert modules.stdout.strip() == "[]", modules.stdout + modules.stderr
    assert run_in(docker, image, "-e", "/opt/uv", entrypoint="test").returncode != 0
    writable = run_in(
        docker, image, "-c", "touch /opt/venv/x || touch /work/x", entrypoint="/bin/sh"
    )
    assert writable.returncode != 0


@uses_the_image
def test_no_layer_holds_the_build_context_secret(docker, built_image, tmp_path):
    """Neither the canary .env nor, in the service project, its certificate, its
    key or the CA, all in the build context where the docs put them, reach a layer."""
    image, project = built_image
    # The PEM bodies: a layer holding the file, or its text elsewhere, holds them.
    serves = SERVES[image.rpartition(":")[2]]
    assert (project / "secrets").is_dir() == serves  # the search below cannot be empty
    planted = (TLS_CERT, TLS_KEY, "secrets/ca.pem") if serves else ()
    pems = {name: b"".join((project / name).read_bytes().splitlines()[1:-1]) for name in planted}
    archive = tmp_path / "image.tar"
    subprocess.run([docker, "save", "--output", str(archive), image], check=True)
    scanned = 0
    with tarfile.open(archive) as outer:
        for member in outer.getmembers():
            if not member.isfile():
                continue
            data = outer.extractfile(member).read()
            assert CANARY.encode() not in data, member.name
            assert UNTRACKED.encode() not in data, member.name
            flat = data.replace(b"\n", b"")
            for name, body in pems.items():
                assert body[:64] not in flat, (name, member.name)
            if member.name.endswith(".tar") or data[257:262] == b"ustar":
                with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                    names = layer.getnames()
                    assert not any(Path(n).name.startswith(".env") for n in names), member.name
                    files = {Path(name).name for name in pems}
                    assert not any(Path(n).name in files for n in names), member.name
                scanned += 1
    assert scanned >= 2
    inspect = subprocess.run(
        [docker, "image", "inspect", image], capture_output=True, text=True, check=True
    ).stdout
    assert CANARY not in inspect
    assert UNTRACKED not in inspect
    history = subprocess.run(
        [docker, "history", "--no-trunc", image], capture_output=True, text=True, check=True
    ).stdout
    assert CANARY not in history
    size = json.loads(inspect)[0]["Size"]
    print(f"\nimage {image}: {size / 1e6:.0f} MB")


@uses_the_image
def test_the_image_holds_what_git_tracks_and_nothing_else(docker, built_image):
    image, _ = built_image
    site = f"/opt/venv/lib/python{DEFAULT_PYTHON}/site-packages/{PACKAGE}"
    listed = run_in(docker, image, "-c", f"find {site} -type f", entrypoint="/bin/sh").stdout
    files = sorted(Path(line).name for line in listed.split())
    assert "local_settings.toml" not in files
    assert "customers.csv" not in files
    assert "pipeline.py" in files
    init = run_in(docker, image, f"{site}/__init__.py", entrypoint="cat").stdout
    assert UNCOMMITTED in init
