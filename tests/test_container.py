"""The container files: static checks on every Docker profile, and a real
build and hardened run of the default project's image (controls C1-C5, S5).
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest
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
    [service] = compose["services"].values()
    assert service["read_only"] is True
    assert service["tmpfs"] == ["/tmp"]
    assert service["cap_drop"] == ["ALL"]
    assert service["security_opt"] == ["no-new-privileges:true"]
    assert service["user"] == "10001:10001"
    assert service["restart"] == "on-failure:5"
    assert set(service["deploy"]["resources"]["limits"]) == {"cpus", "memory", "pids"}
    assert service["env_file"] == [{"path": ".env", "required": False}]
    assert "environment" not in service
    for port in service.get("ports", []):
        assert str(port).startswith("127.0.0.1:"), port
    assert {v.split(":")[1] for v in service["volumes"]} == {
        "/work/data",
        "/work/models",
        "/work/reports",
    }


@pytest.mark.parametrize("profile", DOCKER_PROFILES)
def test_compose_runs_only_the_image_make_docker_build_checked(rendered, profile):
    """compose builds nothing (a plain `docker build .` of dist/ checks nothing) and pulls nothing.

    No `docker compose` here (Debian's docker.io 20.10 has no compose plugin):
    its own reading of these keys is not run.
    """
    project = rendered(profile)
    [service] = yaml.safe_load((project / "compose.yaml").read_text())["services"].values()
    assert "build" not in service
    assert service["pull_policy"] == "never"  # never another registry's image of that name
    image = re.search(r"(?m)^IMAGE \?= (\S+)$", (project / "Makefile").read_text())
    assert image is not None
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


@pytest.fixture(scope="module", params=["pip-tools", "uv"])
def built_image(docker, copie_session, request) -> tuple[str, Path]:
    if request.param not in BUILT:
        BUILT[request.param] = build_image(docker, copie_session, request.param)
    return BUILT[request.param]


def build_image(docker: str, copie_session, backend: str) -> tuple[str, Path]:
    base = stand_in_base(docker)
    project = render(copie_session, "default", project_name="Container Check", lock_backend=backend)
    assert (project / "src" / PACKAGE).is_dir()
    commit_all(project)
    # A secret in the build context that must reach no layer of the image.
    (project / ".env").write_text(f"METRICS_WEBHOOK_TOKEN={CANARY}\n")
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


def run_in(docker: str, image: str, *args: str, entrypoint: str | None = None):
    command = [docker, "run", "--rm", *HARDENED_RUN]
    if entrypoint:
        command += ["--entrypoint", entrypoint]
    return subprocess.run([*command, image, *args], capture_output=True, text=True, check=False)


@uses_the_image
def test_pipeline_runs_hardened_and_writes_only_to_its_volumes(docker, built_image, tmp_path):
    image, project = built_image
    for folder in ("data", "models", "reports"):
        subprocess.run(["chown", "-R", "10001:10001", str(project / folder)], check=True)
    # Keys reach the container as `make docker-run` passes them: an env file.
    env_file = tmp_path / "keys.env"
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
    image, _ = built_image
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
            if member.name.endswith(".tar") or data[257:262] == b"ustar":
                with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                    names = layer.getnames()
                    assert not any(Path(n).name.startswith(".env") for n in names), member.name
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
