"""What the workers of `make test` share: a lock, and a folder of this run's.

`make test` runs the tests in several processes (pytest-xdist). The
PostgreSQL tests empty one database, so they take turns; an expensive result
(the SBOMs) is made by the first worker that needs it and read by the others.
A file lock does both whatever the worker count, and without xdist too.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this run shares (the run's own folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def taking_turns(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """Hold this run's lock ``name``; yield the run's shared folder."""
    folder = run_folder(tmp_path_factory)
    with (folder / f"{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
