"""The template's own test suite keeps its promises about itself.

The slow tests share work through xdist groups: one worker installs the default
project, or builds an image, once for every test of its group. A group that
spreads over both workers costs a second install and lets two workers race
for one stand-in base image, while every test still passes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Two groups, each used by two modules, and ungrouped tests to fill the
# workers: every test writes the worker it ran on.
GROUPED_MODULE = """
import os
import pytest

pytestmark = pytest.mark.xdist_group("{group}")


@pytest.mark.parametrize("case", range(6))
def test_grouped(case):
    with open("workers.log", "a") as log:
        log.write("{group} " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""
UNGROUPED_MODULE = """
import time

import pytest


@pytest.mark.parametrize("case", range(12))
def test_ungrouped(case):
    time.sleep(0.05)
"""


XDIST = ["-n", "2", "--dist", "loadgroup"]


def test_each_xdist_group_runs_on_one_worker(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    for name, group in [("a", "install"), ("b", "image"), ("c", "install"), ("d", "image")]:
        (tmp_path / f"test_{name}.py").write_text(GROUPED_MODULE.format(group=group))
    (tmp_path / "test_filler.py").write_text(UNGROUPED_MODULE)
    done = subprocess.run(
        # The options the Makefile gives the real suite.
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *XDIST],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    workers: dict[str, set[str]] = {}
    for line in Path(tmp_path / "workers.log").read_text().splitlines():
        group, worker = line.split()
        workers.setdefault(group, set()).add(worker)
    assert sorted(workers) == ["image", "install"]
    for group, used in workers.items():
        assert len(used) == 1, f"group {group} ran on {sorted(used)}: see requirements/dev.in"
