"""The ways users start a project: the copier CLI and the README's `make new`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from commands import TEMPLATE_ROOT, copier_cli


def test_copier_cli_copies_without_trust(tmp_path):
    destination = tmp_path / "project"
    done = copier_cli(
        "copy",
        "--vcs-ref",
        "HEAD",
        "--defaults",
        "--data",
        "project_name=No Trust",
        str(TEMPLATE_ROOT),
        str(destination),
    )
    assert done.returncode == 0, done.stderr
    assert "unsafe" not in done.stderr.lower()
    stored = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert stored["package_name"] == "no_trust"
    # A relative source path would break every later `copier update`.
    assert Path(stored["_src_path"]).is_absolute()


@pytest.mark.parametrize(
    ("arguments", "name", "package"),
    [
        (["DATA=project_name=Demo license=Apache-2.0"], "Demo", "demo"),
        # The README's form: NAME carries what DATA would split on its spaces.
        (["NAME=Données clients", "DATA=license=Apache-2.0"], "Données clients", "donnees_clients"),
    ],
)
def test_make_new_renders_non_interactively(tmp_path, gnu_make, arguments, name, package):
    destination = tmp_path / "made"
    done = subprocess.run(
        [gnu_make, "--no-print-directory", "new", f"DEST={destination}", *arguments],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    stored = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert (stored["project_name"], stored["license"]) == (name, "Apache-2.0")
    assert (destination / "src" / package / "pipeline.py").is_file()


def test_make_new_without_dest_prints_usage(gnu_make):
    done = subprocess.run(
        [gnu_make, "--no-print-directory", "new"],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "usage: make new DEST=" in done.stderr
