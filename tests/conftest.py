"""Fixtures shared by the template's tests; the helpers are in commands.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands import TEMPLATE_ROOT, render, unavailable
from installs import install
from postgres_server import Server, postgres
from postgres_server import binaries as postgres_binaries


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slowest first. xdist hands out tests (and whole xdist groups, placed by
    their first test) in collection order, so the long installs start at once,
    short tests fill the end, and the two workers finish close together."""

    def seconds(item: pytest.Item) -> float:
        marker = item.get_closest_marker("slow")
        return marker.args[0] if marker else 0

    items.sort(key=seconds, reverse=True)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def template_root() -> Path:
    """pytest-copie renders from this path: absolute, so _src_path is too."""
    return TEMPLATE_ROOT


@pytest.fixture(scope="session")
def rendered(copie_session):
    """Render each profile once per session; return a function profile -> folder."""
    cache: dict[str, Path] = {}

    def get(profile: str) -> Path:
        if profile not in cache:
            cache[profile] = render(copie_session, profile)
        return cache[profile]

    return get


@pytest.fixture(scope="session")
def gnu_make() -> str:
    path = shutil.which("make")
    if path is None:
        unavailable("make is not installed")
    return path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """One PostgreSQL cluster per test process; each test makes its own database."""
    if postgres_binaries() is None:
        unavailable("PostgreSQL is not installed (Debian: postgresql)")
    with postgres() as server:
        yield server


@pytest.fixture(scope="session")
def default_project(copie_session) -> Path:
    """The default profile, rendered, committed and installed (checked by
    installs.install) once per session. Tests that change it put it back;
    mark them installs.DEFAULT_PROJECT, so one worker runs them all."""
    project = render(copie_session, "default")
    install(project, "default")
    return project
