"""Lines of a rendered default project, per ownership class: `python scripts/line_counts.py [REF]`.

Renders the template at REF (default HEAD, uncommitted changes included)
with the default answers, classifies every file with that release's
ownership.yml, and prints a Markdown table: what owners carry and what the
template keeps up to date (its Python code, its tools, its tests, the rest).
docs/generated-project.md holds the figures for the releases it names.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pathspec
import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIER = Path(sys.executable).with_name("copier")


def classify(path: str, ownership: dict) -> str:
    for klass, table in ownership.items():
        for row in table["files"]:
            if pathspec.GitIgnoreSpec.from_lines([row["path"]]).match_file(path):
                if klass == "template":
                    return _template_part(path)
                if klass == "owner" and path.startswith("requirements/"):
                    return "owner: locks"
                return klass
    raise SystemExit(f"{path}: no class in ownership.yml")


def _template_part(path: str) -> str:
    if path.startswith("src/") and "/hardening/" in path:
        return "template: hardening code"
    if path.startswith("tools/"):
        return "template: tools"
    if path.startswith("tests/"):
        return "template: tests"
    return "template: the rest"


def count(ref: str) -> Counter[str]:
    if ref == "HEAD":
        text = (ROOT / "ownership.yml").read_text()
    else:
        show = ["git", "show", f"{ref}:ownership.yml"]
        text = subprocess.run(show, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    ownership = yaml.safe_load(text)
    lines: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "project"
        subprocess.run(
            [COPIER, "copy", "--quiet", "--vcs-ref", ref, "--defaults",
             "--data", "project_name=Demo", str(ROOT), str(project)],
            check=True,
        )  # fmt: skip
        for path in sorted(project.rglob("*")):
            if path.is_file():
                relative = path.relative_to(project).as_posix()
                lines[classify(relative, ownership)] += len(path.read_bytes().splitlines())
    return lines


def main(refs: list[str]) -> None:
    counted = {ref: count(ref) for ref in refs}
    classes = sorted({klass for lines in counted.values() for klass in lines})
    print("| Class | " + " | ".join(refs) + " |")
    print("|---|" + "---:|" * len(refs))
    for klass in classes:
        print(f"| {klass} | " + " | ".join(str(counted[ref][klass]) for ref in refs) + " |")
    print("| all | " + " | ".join(str(sum(counted[ref].values())) for ref in refs) + " |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["HEAD"])
