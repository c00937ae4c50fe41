"""Every generated file has exactly one owner class, and ownership.yml says which.

ownership.yml is the one source of the ownership table in the docs; these
tests hold it to copier.yml's `_skip_if_exists` and to what every answer
profile renders.
"""

from __future__ import annotations

from pathlib import Path

import pathspec
import pytest
import yaml

from commands import TEMPLATE_ROOT
from profiles import PROFILES

OWNERSHIP = yaml.safe_load((TEMPLATE_ROOT / "ownership.yml").read_text())


def rows(klass: str) -> list[dict]:
    return OWNERSHIP[klass]["files"]


def files(project: Path) -> list[str]:
    return sorted(
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    )


def classes_of(path: str) -> set[str]:
    return {
        klass
        for klass in OWNERSHIP
        for row in rows(klass)
        if pathspec.GitIgnoreSpec.from_lines([row["path"]]).match_file(path)
    }


def test_owner_rows_are_exactly_what_copier_never_overwrites():
    config = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    skipped = {path.replace("{{ package_name }}", "*") for path in config["_skip_if_exists"]}
    assert {row["path"] for row in rows("owner")} == skipped


@pytest.mark.parametrize("profile", PROFILES)
def test_every_rendered_file_has_exactly_one_class(rendered, profile):
    unowned, ambiguous = [], []
    for path in files(rendered(profile)):
        found = classes_of(path)
        if not found:
            unowned.append(path)
        elif len(found) > 1:
            ambiguous.append(f"{path}: {sorted(found)}")
    assert not unowned, f"add these to ownership.yml: {unowned}"
    assert not ambiguous, f"rows of two classes match: {ambiguous}"


def test_every_row_matches_a_rendered_file(rendered):
    every = {path for profile in PROFILES for path in files(rendered(profile))}
    for klass in OWNERSHIP:
        for row in rows(klass):
            if row.get("rendered", True):
                spec = pathspec.GitIgnoreSpec.from_lines([row["path"]])
                assert any(spec.match_file(path) for path in every), (
                    f"{row['path']} matches nothing"
                )
