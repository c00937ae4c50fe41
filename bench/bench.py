"""Benchmark the template: how long users wait, and how much memory it takes.

Prints medians of several runs as a Markdown table:

- ``copier --version``: Copier's own start-up, for scale;
- ``copier copy --defaults`` of this template;
- copy to first green ``make test`` (render, git init and commit,
  ``make install``, ``make test``) with a cold pip cache (empty PIP_CACHE_DIR)
  and a warm one;
- with ``--image``: ``make docker-build`` of the default project on the
  local stand-in base (see tests/docker_support.py), and the image's size.

Peak memory is the resident size of the largest process of a step. Run with
``make bench`` (or ``.venv/bin/python bench/bench.py --help``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
COPIER = str(Path(sys.executable).with_name("copier"))
sys.path.insert(0, str(ROOT / "tests"))

from docker_support import buildkit_client, daemon_running, stand_in_base  # noqa: E402

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


def copy(destination: Path, env: dict[str, str] | None = None) -> Sample:
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
            str(ROOT),
            str(destination),
        ],
        cwd=destination.parent,
        env=env,
    )


def first_green_test(workdir: Path, pip_cache: Path) -> Sample:
    """Copy, commit, install and test; return the total time and the largest peak."""
    env = {
        **os.environ,
        "PIP_CACHE_DIR": str(pip_cache),
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    project = workdir / "project"
    steps = [copy(project, env)]
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "init"],
        ["make", "install"],
        ["make", "test"],
    ):
        steps.append(measure(command, cwd=project, env=env))
    return Sample(sum(s.seconds for s in steps), max(s.peak_mib for s in steps))


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


def repeat(runs: int, once: Callable[[Path], Sample]) -> list[Sample]:
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
    args = parser.parse_args()

    rows = [
        row(
            "`copier --version` (start-up)",
            repeat(args.copies, lambda tmp: measure([COPIER, "--version"], cwd=tmp)),
        ),
        row("`copier copy --defaults`", repeat(args.copies, lambda tmp: copy(tmp / "project"))),
    ]
    if not args.quick:
        rows.append(
            row(
                "copy to first green `make test`, cold pip cache",
                repeat(args.installs, lambda tmp: first_green_test(tmp, tmp / "pip-cache")),
            )
        )
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
            with tempfile.TemporaryDirectory(prefix="bench-") as warmup:
                first_green_test(Path(warmup), Path(cache))  # fill the cache, untimed
            rows.append(
                row(
                    "copy to first green `make test`, warm pip cache",
                    repeat(args.installs, lambda tmp: first_green_test(tmp, Path(cache))),
                )
            )

    if args.image:
        docker = buildkit_client()
        if docker is None or not daemon_running(docker):
            sys.exit("error: --image needs a running Docker daemon and a BuildKit client")
        base = stand_in_base(docker)
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            sample, size = image_build(Path(tmp), docker, base)
        rows.append(row("`make docker-build` (warm caches)", [sample]))
        rows.append(f"| image size | 1 | {size / 1e6:.0f} MB | | |")

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print("| Step | Runs | Median | Range | Peak memory |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
