"""Benchmark the template: how long users wait, and how much memory it takes.

Prints medians of several runs as a Markdown table:

- ``copier --version``: Copier's own start-up, for scale;
- ``copier copy --defaults`` of this template;
- copy to first green ``make test`` (render, git init and commit,
  ``make install``, ``make test``) for each lock backend (pip-tools, uv),
  with a cold package cache (empty PIP_CACHE_DIR and UV_CACHE_DIR) and a
  warm one, the install and the test apart, and ``make lock`` of each;
- ``make test`` again once the first run wrote the bytecode (the everyday
  loop), every install and test with PYTHONDONTWRITEBYTECODE set, as in CI;
- the hardened run against the bare pipeline on the example scaled to 10^4
  to 10^6 rows, time and peak memory (``--only-scale``, data_scale.py);
- each job of the generated GitHub workflows through its ``make`` steps
  (``--only-ci-jobs``);
- ``POST /v1/predict`` of a served ``use_service`` project (uv, TLS on
  loopback): p50 and p99 latency of one client, and requests per second of
  four concurrent clients (``--only-service`` prints just these);
- with ``--image``: ``make docker-build`` of the default project on the
  local stand-in base (see tests/docker_support.py), and the image's size;
- ``copier update`` across one release, across two, and to the release a
  project is at (a no-op), and a fleet of varied projects updated one after
  another, each beside the same figure for a one-file template, copier's own
  floor, measured in the same run; and ``copier copy`` of both from a tag.
  The ratios to the floor are steadier than seconds on a busy machine.

Peak memory is the resident size of the largest process of a step. Run with
``make bench``, options in ARGS (``make bench ARGS=--help``): the Makefile
puts the test helpers it reuses (tests/, scripts/) on PYTHONPATH, as
pytest.ini does for the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple, TypeVar

import httpx
import yaml
from data_scale import scale_rows

from docker_support import buildkit_client, daemon_running, stand_in_base
from osv_server import serving as osv_serving
from profiles import PROFILES, answers
from releases import release
from service_server import prepare, serving

ROOT = Path(__file__).resolve().parent.parent
COPIER = str(Path(sys.executable).with_name("copier"))


GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}
TAGS = ("1.0.0", "1.1.0", "1.2.0")
# copier's floor: one question, one rendered file and the answers file.
FLOOR_FILES = {
    "copier.yml": "_subdirectory: template\nname:\n  type: str\n  default: Bench\n",
    "template/README.md.jinja": "# {{ name }}\n",
    "template/{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}",
}

# Runs a command in a fresh process and reports its wall time and the peak
# RSS of its largest descendant (RUSAGE_CHILDREN of a process that has only
# that one child).
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], cwd=sys.argv[1], capture_output=True, text=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_kib": peak, "code": done.returncode,
                  "tail": (done.stdout + done.stderr)[-2000:]}))
"""

T = TypeVar("T")


class Sample(NamedTuple):
    seconds: float
    peak_mib: float


def measure(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(cwd), *command],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result = json.loads(out.stdout)
    if result["code"] != 0:
        sys.exit(f"error: {' '.join(command)} failed in {cwd}:\n{result['tail']}")
    return Sample(result["seconds"], result["peak_kib"] / 1024)


def copy(destination: Path, env: dict[str, str] | None = None, *data: str) -> Sample:
    return measure(
        [
            COPIER,
            "copy",
            "--quiet",
            "--defaults",
            "--vcs-ref",
            "HEAD",
            "--data",
            "project_name=Bench",
            *(f"--data={pair}" for pair in data),
            str(ROOT),
            str(destination),
        ],
        cwd=destination.parent,
        env=env,
    )


def install_env(cache: Path) -> dict[str, str]:
    """The environment of a first install: ``cache`` holds pip's and uv's caches.

    PYTHONDONTWRITEBYTECODE is set, as in many CI images and containers: the
    project's Makefile has Python write bytecode all the same, once.
    """
    env = {**os.environ, **GIT_IDENTITY, "PYTHONDONTWRITEBYTECODE": "1"}
    env["PIP_CACHE_DIR"] = str(cache / "pip")
    env["UV_CACHE_DIR"] = str(cache / "uv")
    return env


class Steps(NamedTuple):
    install: Sample
    test: Sample
    total: Sample
    retest: Sample


def first_green_test(workdir: Path, cache: Path, backend: str) -> Steps:
    """Copy, commit, install and test; the install, the test and the total."""
    env = install_env(cache)
    project = workdir / "project"
    steps = [copy(project, env, f"lock_backend={backend}")]
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "init"],
        ["make", "install"],
        ["make", "test"],
    ):
        steps.append(measure(command, cwd=project, env=env))
    total = Sample(sum(s.seconds for s in steps), max(s.peak_mib for s in steps))
    # The loop a data scientist runs all day: the same tests again, bytecode written.
    retest = measure(["make", "test"], cwd=project, env=env)
    return Steps(steps[-2], steps[-1], total, retest)


def lock_once(project: Path, env: dict[str, str]) -> Sample:
    """`make lock` of an installed project: resolve again, keep the pins, refresh hashes."""
    return measure(["make", "lock"], cwd=project, env=env)


def backend_figures(backend: str, installs: int) -> tuple[list[str], float, float]:
    """One backend's rows, and its median first green with a cold and a warm cache."""
    cold = repeat(installs, lambda tmp: first_green_test(tmp, tmp / "cache", backend))
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        with tempfile.TemporaryDirectory(prefix="bench-") as warmup:
            first_green_test(Path(warmup), Path(cache), backend)  # fill the cache, untimed

        def green_then_lock(tmp: Path) -> tuple[Steps, Sample]:
            green = first_green_test(tmp, Path(cache), backend)
            return green, lock_once(tmp / "project", install_env(Path(cache)))

        runs = repeat(installs, green_then_lock)
    warm = [green for green, _ in runs]
    rows = [
        row(f"first green, {backend}, cold cache", [c.total for c in cold]),
        row(f"first green, {backend}, warm cache", [w.total for w in warm]),
        row(f"… of which `make install`, {backend}, warm", [w.install for w in warm]),
        row(f"… of which `make test`, {backend}, warm", [w.test for w in warm]),
        row(f"`make test` again (the everyday loop), {backend}", [w.retest for w in warm]),
        row(f"`make lock`, {backend} (warm cache, pins kept)", [lock for _, lock in runs]),
    ]
    medians = [statistics.median(s.total.seconds for s in samples) for samples in (cold, warm)]
    return rows, *medians


def backend_rows(installs: int) -> list[str]:
    """First green for both backends with a cold and a warm cache, `make lock`, and ratios."""
    pip_rows, pip_cold, pip_warm = backend_figures("pip-tools", installs)
    uv_rows, uv_cold, uv_warm = backend_figures("uv", installs)
    return [
        *pip_rows,
        *uv_rows,
        f"| first green, cold: pip-tools / uv | | {pip_cold / uv_cold:.1f}x | | |",
        f"| first green, warm: pip-tools / uv | | {pip_warm / uv_warm:.1f}x | | |",
    ]


# Times, inside an installed project, the checks the data path adds to a run:
# the schema check of the example's rows, and pandera's import on top of the
# libraries a run imports anyway.
DATA_PATH = """
import json, statistics, subprocess, sys, time
package = sys.argv[1]
data = __import__(package + ".data", fromlist=["x"])
schema = __import__(package + ".schema", fromlist=["x"])
hardening = __import__(package + ".hardening", fromlist=["x"])
frame = data.load_dataset()
times = []
for _ in range(15):
    start = time.perf_counter()
    hardening.validate(frame, schema.SAMPLES, "bench")
    times.append(time.perf_counter() - start)
def start_up(modules, runs=11):
    # Interleaved, and the fastest of each: start-up noise only ever adds time.
    best = {module: float("inf") for module in modules}
    for _ in range(runs):
        for module in modules:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import " + module], check=True)
            best[module] = min(best[module], time.perf_counter() - start)
    return best
# What the run imports anyway (settings, database, model), with and without pandera.
others = "pandas, pydantic_settings, sqlalchemy, sklearn.linear_model, skops.io"
best = start_up([others, others + ", pandera.pandas"])
print(json.dumps({"validate": statistics.median(times),
                  "pandera": best[others + ", pandera.pandas"] - best[others]}))
"""


def data_path_rows(runs: int) -> list[str]:
    """`make run` without keys and with them (encryption, signing), and what validation costs."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        env = install_env(Path(tmp) / "cache")
        project = Path(tmp) / "project"
        copy(project, env)
        for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "i"]):
            subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)
        subprocess.run(["make", "install"], cwd=project, env=env, check=True, capture_output=True)
        python = str(project / ".venv" / "bin" / "python")
        # Settings come from .env in the working folder: one folder each way.
        plain, sealed = Path(tmp) / "plain", Path(tmp) / "sealed"
        plain.mkdir()
        sealed.mkdir()
        (plain / ".env").write_text("")
        shutil.copy(project / ".env", sealed / ".env")
        command = [python, "-m", "bench", "--root", ".", "run"]
        for folder in (plain, sealed):  # the first run loads the source table
            measure(command, cwd=folder, env=env)
        without = [measure(command, cwd=plain, env=env) for _ in range(runs)]
        with_keys = [measure(command, cwd=sealed, env=env) for _ in range(runs)]
        figures = json.loads(
            subprocess.run(
                [python, "-c", DATA_PATH, "bench"],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stdout
        )
    floor = statistics.median(s.seconds for s in without)
    keyed = statistics.median(s.seconds for s in with_keys)
    return [
        row("`make run`, no keys (validation only)", without),
        row("`make run` with keys (encrypted data, signed model)", with_keys)
        + f" {keyed / floor:.2f}x |",
        f"| schema check of the 569 example rows | 15 | {figures['validate'] * 1000:.0f} ms | | "
        f"| {figures['validate'] / floor:.1%} of a run |",
        "| pandera's import, on top of what a run imports anyway | 11 | "
        f"{figures['pandera'] * 1000:.0f} ms | | "
        f"| {figures['pandera'] / floor:.1%} of a run |",
    ]


def data_scale_rows(sizes: list[int], runs: int) -> list[str]:
    """The hardened run against the bare pipeline on the example scaled up (data_scale.py)."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        env = install_env(Path(tmp) / "cache")
        project = Path(tmp) / "project"
        copy(project, env, "lock_backend=uv")
        for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "i"]):
            subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)
        subprocess.run(["make", "install"], cwd=project, env=env, check=True, capture_output=True)

        def timed(command: list[str], cwd: Path) -> tuple[float, float]:
            return measure(command, cwd=cwd, env=env)

        return scale_rows(project, "bench", sizes, runs, timed)


def ci_job_rows(backend: str, image: bool) -> list[str]:
    """Each job of a default project's GitHub workflows, as its `make` steps, on this machine.

    Each job starts as CI does, from a checkout without .venv, and runs its
    `make` steps in order (package caches warm, pip-audit asking the loopback
    OSV stand-in). A job that builds the image runs only with ``image``.
    """
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, osv_serving([]) as osv:
        env = install_env(Path(tmp) / "cache") | osv.environment()
        project = Path(tmp) / "project"
        copy(project, env, f"lock_backend={backend}")
        for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "i"]):
            subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)
        subprocess.run(["make", "install"], cwd=project, env=env, check=True, capture_output=True)
        for workflow in sorted((project / ".github" / "workflows").glob("*.yml")):
            for name, job in yaml.safe_load(workflow.read_text())["jobs"].items():
                steps = [str(step.get("run", "")) for step in job.get("steps", [])]
                targets = [step.split()[1:] for step in steps if step.startswith("make ")]
                if not targets or (["docker-build"] in targets and not image):
                    continue
                shutil.rmtree(project / ".venv")
                samples = [measure(["make", *target], cwd=project, env=env) for target in targets]
                total = Sample(sum(s.seconds for s in samples), max(s.peak_mib for s in samples))
                made = ", ".join(" ".join(target) for target in targets)
                rows.append(row(f"{workflow.name} `{name}` ({made}), {backend}", [total]))
    return rows


CLIENTS = 4  # concurrent clients of the throughput figure


# Latency and throughput of `POST /v1/predict` on a served project, from
# this process over TLS on loopback with keep-alive connections: the figures
# of the service's own overhead (token check, limits, validation, the model)
# plus one small prediction, not of a network.
def service_rows(requests: int) -> list[str]:
    """`POST /v1/predict` of a served project: p50 and p99 latency, requests per second."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        env = {**os.environ, **GIT_IDENTITY}
        project = Path(tmp) / "project"
        copy(project, env, "use_service=true", "lock_backend=uv")
        for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "i"]):
            subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)
        subprocess.run(["make", "install"], cwd=project, env=env, check=True, capture_output=True)
        served = prepare(project)
        token = served.token("bench", "predict")
        body = {"rows": served.example_rows(1)}
        headers = {"Authorization": f"Bearer {token}"}
        # No rate limit in the way: the limits are measured by the tests, not here.
        with serving(served, {"SERVICE_RATE_LIMIT_PER_MINUTE": str(10 * requests)}) as server:

            def predict(client: httpx.Client) -> float:
                start = time.perf_counter()
                response = client.post("/v1/predict", json=body, headers=headers)
                seconds = time.perf_counter() - start
                if response.status_code != 200:
                    sys.exit(f"error: /v1/predict answered {response.status_code}")
                return seconds

            with server.client() as client:
                for _ in range(20):  # warm up: imports, first predictions, TLS session
                    predict(client)
                one_client = sorted(predict(client) for _ in range(requests))

            def share(_: int) -> None:
                with server.client() as client:
                    for _ in range(requests // CLIENTS):
                        predict(client)

            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
                list(pool.map(share, range(CLIENTS)))
            concurrent = time.perf_counter() - start

    def percentile(fraction: float) -> float:
        return one_client[min(len(one_client) - 1, int(fraction * len(one_client)))] * 1000

    per_second = (requests // CLIENTS) * CLIENTS / concurrent
    return [
        f"| `POST /v1/predict`, one row, one client: p50 | {requests} | "
        f"{percentile(0.50):.1f} ms | | |",
        f"| `POST /v1/predict`, one row, one client: p99 | {requests} | "
        f"{percentile(0.99):.1f} ms | | |",
        f"| `POST /v1/predict`, one row, {CLIENTS} clients: throughput | "
        f"{(requests // CLIENTS) * CLIENTS} | {per_second:.0f} requests/s | | |",
    ]


def image_build(workdir: Path, docker: str, base: str) -> tuple[Sample, int]:
    """Copy, install, then build the image; return the build's sample and image size."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    project = workdir / "project"
    copy(project, env)
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "init"],
        ["make", "install"],
    ):
        measure(command, cwd=project, env=env)
    image = "bench-image:latest"
    build = ["make", "docker-build", f"DOCKER={docker}", f"BASE_IMAGE={base}", f"IMAGE={image}"]
    ca_bundle = Path(os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt"))
    if ca_bundle.is_file():
        build.append(f"PIP_CA_BUNDLE={ca_bundle}")
    sample = measure(build, cwd=project, env=env)
    size = subprocess.run(
        [docker, "image", "inspect", "--format", "{{.Size}}", image],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sample, int(size)


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_IDENTITY},
    )


def floor_releases(repo: Path) -> Path:
    """The one-file template, tagged three times."""
    for number, tag in enumerate(TAGS):
        for name, text in FLOOR_FILES.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(
                text + "# release\n" * number if name.endswith("md.jinja") else text
            )
        if number == 0:
            git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"Release {tag}")
        git(repo, "tag", tag)
    return repo


def template_releases(repo: Path) -> Path:
    """This template's working tree, tagged three times, each with a template-owned change."""

    def change(count: int):
        def edit(template: Path) -> None:
            makefile = template / "template" / "Makefile.jinja"
            makefile.write_text(makefile.read_text() + "# release\n" * count)

        return edit

    for number, tag in enumerate(TAGS):
        release(repo, tag, change(number))
    return repo


def plain_releases(repo: Path, ours: Path) -> Path:
    """The same files without Jinja: a default project of ``ours``, as a template, tagged thrice.

    copier copies a file without the .jinja suffix as it is, so updating a
    project of this template costs what copier spends per file (git, paths,
    the diff) and nothing of this template's own: its Jinja, its questions,
    its validators. The releases change the Makefile, as this template's do.
    """
    rendered = made_at(ours, repo.parent / "plain-source")
    shutil.rmtree(rendered / ".git")
    (rendered / ".copier-answers.yml").unlink()
    for number, tag in enumerate(TAGS):
        if number == 0:
            shutil.copytree(rendered, repo / "template")
            for name, text in FLOOR_FILES.items():
                if not name.endswith("README.md.jinja"):
                    (repo / name).write_text(text)
            git(repo, "init", "-q", "-b", "main")
        else:
            makefile = repo / "template" / "Makefile"
            makefile.write_text(makefile.read_text() + "# release\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"Release {tag}")
        git(repo, "tag", tag)
    return repo


def copy_from_tag(
    template: Path, project: Path, data: dict[str, object] | None = None
) -> list[str]:
    """The copier command that makes ``project`` from ``template`` at its first tag."""
    answers = data or {"project_name": "Bench"}
    pairs = [f"--data={key}={value}" for key, value in answers.items()]
    return [
        COPIER,
        "copy",
        "--quiet",
        "--defaults",
        "--vcs-ref",
        TAGS[0],
        *pairs,
        str(template),
        str(project),
    ]


def made_at(template: Path, project: Path, data: dict[str, object] | None = None) -> Path:
    """A committed project made from ``template`` at its first tag."""
    subprocess.run(copy_from_tag(template, project, data), check=True, capture_output=True)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Start")
    return project


def update_to(project: Path, tag: str) -> Sample:
    """Time one update, then put the project back where it was."""
    env = {**os.environ, **GIT_IDENTITY}
    sample = measure(
        [COPIER, "update", "--quiet", "--skip-answered", "--defaults", "--vcs-ref", tag],
        cwd=project,
        env=env,
    )
    git(project, "reset", "-q", "--hard")
    git(project, "clean", "-fdq")
    return sample


def at_newest(template: Path, project: Path) -> Path:
    """A committed project already at the newest release."""
    made_at(template, project)
    subprocess.run(
        [COPIER, "update", "--quiet", "--defaults", "--vcs-ref", TAGS[-1]],
        cwd=project,
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_IDENTITY},
    )
    git(project, "add", "-A")
    git(project, "commit", "-qm", "At the newest release")
    return project


def steps_for(template: Path, root: Path) -> dict[str, Callable[[], Sample]]:
    """The timed steps for one template; each leaves things as it found them."""
    old = made_at(template, root / "old")
    current = at_newest(template, root / "current")
    return {
        "`copier copy --defaults` from a tag": lambda: copy_tag(template, root),
        "`copier update` across one release": lambda: update_to(old, TAGS[1]),
        "`copier update` across two releases": lambda: update_to(old, TAGS[2]),
        "`copier update` to the current release (no-op)": lambda: update_to(current, TAGS[2]),
    }


def update_rows(runs: int, fleet_size: int) -> list[str]:
    """Copy and update figures for this template beside the floor's, run by run."""
    with tempfile.TemporaryDirectory(prefix="bench-updates-") as tmp:
        root = Path(tmp)
        ours = template_releases(root / "template")
        floor = floor_releases(root / "floor")
        plain = plain_releases(root / "plain", ours)
        for side in ("ours", "floors", "plains"):
            (root / side).mkdir()
        steps = {
            "ours": steps_for(ours, root / "ours"),
            "floor": steps_for(floor, root / "floors"),
            "plain": steps_for(plain, root / "plains"),
        }
        samples: dict[tuple[str, str], list[Sample]] = {
            (side, step): [] for side in steps for step in steps[side]
        }
        for _ in range(runs):  # interleaved, so both see the same load on the machine
            for side, timed in steps.items():
                for step, once in timed.items():
                    samples[(side, step)].append(once())

        rows = []
        for step in steps["ours"]:
            median = {
                side: statistics.median(s.seconds for s in samples[(side, step)]) for side in steps
            }
            rows.append(
                row(step, samples[("ours", step)]) + f" {median['ours'] / median['floor']:.2f}x |"
            )
            rows.append(row(f"{step}: floor", samples[("floor", step)]) + " 1.00x |")
            # This template's own share: its Jinja and questions, over copier's per-file cost.
            rows.append(
                row(f"{step}: the same files without Jinja", samples[("plain", step)])
                + f" {median['plain'] / median['floor']:.2f}x; this template's share "
                f"{median['ours'] / median['plain']:.2f}x |"
            )

        # A fleet: varied answers, updated one after another as a rollout would.
        profiles = [list(PROFILES)[n % len(PROFILES)] for n in range(fleet_size)]
        fleet = [made_at(ours, root / f"fleet-{n}", answers(p)) for n, p in enumerate(profiles)]
        start = time.perf_counter()
        for project in fleet:
            update_to(project, TAGS[1])
        total = time.perf_counter() - start
        rows.append(
            f"| fleet of {fleet_size} varied projects, one after another, across one release "
            f"| 1 | {total:.2f} s | {total / fleet_size:.2f} s a project | | |"
        )
        return rows


def copy_tag(template: Path, root: Path) -> Sample:
    destination = root / "copy"
    sample = measure(copy_from_tag(template, destination), cwd=root)
    shutil.rmtree(destination)
    return sample


def repeat(runs: int, once: Callable[[Path], T]) -> list[T]:
    """``once`` run ``runs`` times, each in a fresh temporary folder."""
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            samples.append(once(Path(tmp)))
    return samples


def row(name: str, samples: list[Sample]) -> str:
    seconds = statistics.median(s.seconds for s in samples)
    spread = f"{min(s.seconds for s in samples):.2f}-{max(s.seconds for s in samples):.2f}"
    peak = max(s.peak_mib for s in samples)
    return f"| {name} | {len(samples)} | {seconds:.2f} s | {spread} s | {peak:.0f} MiB |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=9, help="runs of each copy measurement")
    parser.add_argument("--installs", type=int, default=3, help="runs of each first-green test")
    parser.add_argument("--quick", action="store_true", help="copy timings only")
    parser.add_argument("--image", action="store_true", help="also build the container image")
    parser.add_argument("--updates", type=int, default=5, help="runs of each update measurement")
    parser.add_argument("--fleet", type=int, default=12, help="projects in the fleet figure")
    parser.add_argument("--only-updates", action="store_true", help="copy and update figures only")
    parser.add_argument(
        "--only-backends", action="store_true", help="first green and `make lock` figures only"
    )
    parser.add_argument(
        "--only-data-path", action="store_true", help="what validation and encryption add to a run"
    )
    parser.add_argument("--runs", type=int, default=7, help="runs of each `make run` measurement")
    parser.add_argument(
        "--only-service", action="store_true", help="`POST /v1/predict` latency and throughput"
    )
    parser.add_argument(
        "--predictions", type=int, default=1000, help="requests of each service measurement"
    )
    parser.add_argument(
        "--only-ci-jobs",
        action="store_true",
        help="each job of the generated GitHub workflows, through its make steps",
    )
    parser.add_argument(
        "--only-scale",
        action="store_true",
        help="the hardened run against the bare pipeline on the example scaled up",
    )
    parser.add_argument(
        "--scale-rows",
        type=int,
        nargs="+",
        default=[10_000, 100_000, 1_000_000],
        help="the sizes of --only-scale",
    )
    args = parser.parse_args()

    if args.only_ci_jobs:
        print_table([*ci_job_rows("uv", args.image), *ci_job_rows("pip-tools", args.image)])
        return

    if args.only_scale:
        print_table(data_scale_rows(args.scale_rows, 1))
        return

    if args.only_service:
        print_table(service_rows(args.predictions))
        return

    if args.only_data_path:
        print_table(data_path_rows(args.runs))
        return

    if args.only_backends:
        print_table(backend_rows(args.installs))
        return

    if args.only_updates:
        print_table(update_rows(args.updates, args.fleet))
        return
    rows = [
        row(
            "`copier --version` (start-up)",
            repeat(args.copies, lambda tmp: measure([COPIER, "--version"], cwd=tmp)),
        ),
        row("`copier copy --defaults`", repeat(args.copies, lambda tmp: copy(tmp / "project"))),
    ]
    if not args.quick:
        rows += backend_rows(args.installs)
        rows += data_path_rows(args.runs)
        rows += data_scale_rows([10_000, 100_000], 1)
        rows += ci_job_rows("uv", args.image)
        rows += service_rows(args.predictions)

    if args.image:
        docker = buildkit_client()
        if docker is None or not daemon_running(docker):
            sys.exit("error: --image needs a running Docker daemon and a BuildKit client")
        base = stand_in_base(docker)
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            sample, size = image_build(Path(tmp), docker, base)
        rows.append(row("`make docker-build` (warm caches)", [sample]))
        rows.append(f"| image size | 1 | {size / 1e6:.0f} MB | | |")

    rows += update_rows(args.updates, args.fleet)
    print_table(rows)


def print_table(rows: list[str]) -> None:
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print("| Step | Runs | Median | Range | Peak memory | Against the floor |")
    print("|---|---|---|---|---|---|")
    print("\n".join(row if row.count("|") == 7 else row + " |" for row in rows))


if __name__ == "__main__":
    main()
