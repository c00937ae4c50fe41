"""Checks every rendered project must pass, whatever the answers: shared by the
render tests (one project per profile) and the answer fuzzing (many projects)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

RUFF = str(Path(sys.executable).with_name("ruff"))


def project_files(project: Path) -> list[Path]:
    return sorted(p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts)


def parse_structured_files(project: Path) -> int:
    """Parse every TOML, YAML, JSON and notebook file; return how many were read."""
    read = 0
    for path in project_files(project):
        text = path.read_text()
        if path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            documents = list(yaml.safe_load_all(text))
            assert documents and all(doc is not None for doc in documents), path
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".ipynb":
            notebook = json.loads(text)
            assert notebook["nbformat"] == 4, path
            for cell in notebook["cells"]:
                if cell["cell_type"] == "code":
                    assert cell["outputs"] == [] and cell["execution_count"] is None, path
        else:
            continue
        read += 1
    return read


def ruff_problems(project: Path) -> str:
    """What the project's own ruff settings report (lint and format); empty when clean."""
    found = []
    for command in (
        [RUFF, "check", "--no-cache", "--quiet", "."],
        [RUFF, "format", "--no-cache", "--check", "--quiet", "."],
    ):
        done = subprocess.run(command, cwd=project, capture_output=True, text=True)
        if done.returncode != 0:
            found.append(done.stdout + done.stderr)
    return "\n".join(found)
