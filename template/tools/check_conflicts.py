"""Fail while an update left a conflict unresolved: markers in a file, or a *.rej file.

Kept up to date by the template (`copier update` replaces this file).

`copier update` merges the template's changes into files you edited too. Where
both changed the same lines it writes both versions between markers
(``<<<<<<< before updating`` ... ``>>>>>>> after updating``) and still exits
with status 0; with ``--conflict rej`` it leaves ``*.rej`` files instead. This
gate fails on either, in a file on disk or in git's copy of it, so an
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


def first_marker(stream: IO[bytes] | Blob) -> int:
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


def index_entries() -> list[tuple[Path, str]]:
    """Each file in git's index, with the object id of its copy there: what
    `git commit` takes and what a push sends, whatever the copy on disk holds.
    A checkout can show a file otherwise (an encoding or a filter named in
    .gitattributes), so the markers are looked for in git's own copy too."""
    command = ["git", "ls-files", "--stage", "-z"]
    listed = subprocess.run(command, capture_output=True, check=True).stdout  # noqa: S603
    found = []
    for entry in filter(None, listed.split(b"\0")):
        header, _, name = entry.partition(b"\t")
        mode, object_id, _stage = header.split()
        if mode != b"160000":  # a submodule's commit, not a file
            found.append((Path(os.fsdecode(name)), object_id.decode()))
    return found


class Blob:
    """The next ``size`` bytes of a `git cat-file --batch` stream, read line by line."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        self.stream, self.left = stream, size

    def readline(self, limit: int) -> bytes:
        piece = self.stream.readline(min(limit, self.left)) if self.left else b""
        self.left -= len(piece)
        return piece

    def skip_rest(self) -> None:
        while self.left:
            self.left -= len(self.stream.read(min(self.left, LONGEST_READ)))


def in_index(entries: list[tuple[Path, str]]) -> list[str]:
    # By object id, not by ":path": a name such as "0:notes" would be read as
    # stage 0 of "notes". One git process reads them all, one at a time.
    problems: list[str] = []
    command = ["git", "cat-file", "--batch"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as reader:  # noqa: S603
        ids, objects = reader.stdin, reader.stdout
        if ids is None or objects is None:  # both are pipes: never
            return problems
        for path, object_id in entries:
            ids.write(object_id.encode() + b"\n")
            ids.flush()
            header = objects.readline()  # "<id> blob <size>", or "<id> missing"
            if header.rstrip().endswith(b" missing"):
                continue
            blob = Blob(objects, int(header.split()[2]))
            number = first_marker(blob)
            blob.skip_rest()
            objects.read(1)  # the newline after each object
            if number:
                problems.append(f"{shown(path)}:{number}: conflict marker (staged)")
        ids.close()
    return problems


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
    # ... and git's own copy of every file it tracks.
    problems += in_index(index_entries())
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
