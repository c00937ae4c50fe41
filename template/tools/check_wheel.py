"""Check that a wheel holds only files of the source tree it was built from, byte for byte.

Kept up to date by the template (`copier update` replaces this file).

`make docker-build` builds the project's wheel from a snapshot of the files
git tracks. A build setting can still reach past the snapshot (hatch's
force-include of "../../.env", or of an absolute path), so the wheel is
compared with it before the image is built: every package file must be the
same file under the snapshot's src/, every licence file the same file at its
top, and the rest of the metadata only what the build backend writes.

    python tools/check_wheel.py dist/NAME.whl build/image-source
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path, PurePosixPath

# What a build backend writes into NAME.dist-info/ itself.
GENERATED = {"METADATA", "WHEEL", "RECORD", "entry_points.txt"}


def problems(wheel: Path, source: Path) -> list[str]:
    found = []
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            path = PurePosixPath(member.filename)
            if path.parts[0].endswith(".dist-info"):
                inside = PurePosixPath(*path.parts[1:])
                if str(inside) in GENERATED:
                    continue
                if inside.parts[0] != "licenses":
                    found.append(f"{path}: not metadata a build backend writes")
                    continue
                origin = source.joinpath(*inside.parts[1:])
            else:
                origin = source.joinpath("src", *path.parts)
            inside_source = origin.resolve().is_relative_to(source.resolve())
            if not inside_source or not origin.is_file() or origin.is_symlink():
                found.append(f"{path}: not a file of the snapshot of what git tracks")
            elif origin.read_bytes() != archive.read(member):
                found.append(f"{path}: differs from its file in the snapshot")
    return found


def main(argv: list[str]) -> int:
    wheel, source = Path(argv[0]), Path(argv[1])
    found = problems(wheel, source)
    for problem in found:
        print(f"error: {wheel.name}: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
