"""Fail while an update left a conflict unresolved: markers in a file, or a *.rej file.

Kept up to date by the template (`copier update` replaces this file).

`copier update` merges the template's changes into files you edited too. Where
both changed the same lines it writes both versions between markers
(``<<<<<<< before updating`` ... ``>>>>>>> after updating``) and still exits
with status 0; with ``--conflict rej`` it leaves ``*.rej`` files instead. This
gate fails on either, in a file on disk or in its staged copy, so an
unresolved update cannot pass `make audit` or CI. It reads every file that
git tracks or would track, and finds ``*.rej`` files in ignored folders too.

    python tools/check_conflicts.py   # `make audit-conflicts`, part of `make audit`
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

# The markers git and copier write; "=======" alone is left out, as it also
# underlines Markdown headings.
MARKERS = (b"<<<<<<< ", b">>>>>>> ", b"||||||| ")
BARE_MARKERS = {marker.strip() for marker in MARKERS}
# Folders no update writes to, and that hold third-party files.
SKIPPED = {".git", ".venv", "node_modules"}
# Lines are read in pieces of at most this size, so a huge file without line
# ends cannot fill the memory.
LONGEST_READ = 1 << 16


def git_paths(*args: str) -> list[Path]:
    """The paths a git listing prints, NUL-separated, whatever their encoding."""
    command = ["git", *args, "-z"]
    listed = subprocess.run(command, capture_output=True, check=True).stdout  # noqa: S603
    return [Path(os.fsdecode(name)) for name in dict.fromkeys(listed.split(b"\0")) if name]


def shown(path: Path) -> str:
    """A path as text, even when its name is not valid UTF-8."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def first_marker(stream: IO[bytes]) -> int:
    """The number of the first line that is a conflict marker, or 0."""
    number, at_line_start = 1, True
    for piece in iter(lambda: stream.readline(LONGEST_READ), b""):
        if at_line_start and (piece.startswith(MARKERS) or piece.rstrip(b"\r\n") in BARE_MARKERS):
            return number
        at_line_start = piece.endswith(b"\n")
        number += at_line_start
    return 0


def in_work_tree(path: Path) -> list[str]:
    with path.open("rb") as stream:
        number = first_marker(stream)
    return [f"{shown(path)}:{number}: conflict marker"] if number else []


def staged() -> list[tuple[Path, str]]:
    """Each staged file that differs from HEAD, with the object id of its staged copy:
    what `git commit` would take, whatever the copy on disk holds."""
    command = ["git", "diff", "--cached", "--raw", "--no-renames", "--no-abbrev", "-z"]
    fields = subprocess.run(command, capture_output=True, check=True).stdout.split(b"\0")  # noqa: S603
    found = []
    for header, name in zip(fields[0::2], fields[1::2], strict=False):
        object_id = header.split()[3].decode() if header.startswith(b":") else ""
        if object_id.strip("0"):  # all zeros: removed from the index
            found.append((Path(os.fsdecode(name)), object_id))
    return found


def in_index(path: Path, object_id: str) -> list[str]:
    # By object id, not by ":path": a name such as "0:notes" would be read as
    # stage 0 of "notes".
    command = ["git", "cat-file", "blob", object_id]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as reader:  # noqa: S603
        number = first_marker(reader.stdout) if reader.stdout else 0
        reader.kill()
    return [f"{shown(path)}:{number}: conflict marker (staged)"] if number else []


def rejected_hunks(root: Path) -> list[str]:
    """*.rej files anywhere but in SKIPPED folders, git-ignored ones too."""
    return [
        f"{shown(path.relative_to(root))}: hunks an update could not apply"
        for path in sorted(root.rglob("*.rej"))
        if path.is_file() and not SKIPPED & set(path.relative_to(root).parts)
    ]


def main() -> int:
    # Every file git tracks or would track (not ignored) that is on disk ...
    listed = git_paths("ls-files", "--cached", "--others", "--exclude-standard")
    problems = [problem for path in listed if path.is_file() for problem in in_work_tree(path)]
    # ... and every staged copy that differs from HEAD.
    problems += [problem for path, blob in staged() for problem in in_index(path, blob)]
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
