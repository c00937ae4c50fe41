"""Fail while an update left a conflict unresolved: markers in a file, or a *.rej file.

Kept up to date by the template (`copier update` replaces this file).

`copier update` merges the template's changes into files you edited too. Where
both changed the same lines it writes both versions between markers
(``<<<<<<< before updating`` ... ``>>>>>>> after updating``) and still exits
with status 0; with ``--conflict rej`` it leaves ``*.rej`` files instead. This
gate fails on either, so an unresolved update cannot pass `make audit` or CI.

    python tools/check_conflicts.py   # `make audit-conflicts`, part of `make audit`
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# The markers git and copier write; "=======" alone is left out, as it also
# underlines Markdown headings.
MARKERS = (b"<<<<<<< ", b">>>>>>> ", b"||||||| ")
# Folders no update writes to, and that hold third-party files.
SKIPPED = {".git", ".venv", "node_modules"}


def candidate_files() -> list[Path]:
    """Every file git tracks or would track (not ignored), that exists."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    names = dict.fromkeys(name for name in listed.decode().split("\0") if name)
    return [Path(name) for name in names if Path(name).is_file()]


def markers(path: Path) -> list[str]:
    found = []
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if line.startswith(MARKERS) or line.rstrip(b"\r\n") in {m.strip() for m in MARKERS}:
                found.append(f"{path}:{number}: conflict marker")
    return found


def rejected_hunks(root: Path) -> list[str]:
    """*.rej files anywhere but in SKIPPED folders, git-ignored ones too."""
    found = []
    for path in sorted(root.rglob("*.rej")):
        if not SKIPPED & set(path.relative_to(root).parts):
            found.append(f"{path.relative_to(root)}: hunks an update could not apply")
    return found


def main() -> int:
    problems = [problem for path in candidate_files() for problem in markers(path)]
    problems += rejected_hunks(Path.cwd())
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            "error: an update left conflicts: keep the lines you want, delete the markers "
            "and any .rej file, then commit (README: Keeping up with the template)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
