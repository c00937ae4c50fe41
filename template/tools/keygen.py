"""Write fresh keys into .env without printing them: `make keygen`, `make rotate-keys`.

Usage: ``python tools/keygen.py [--rotate] [ENV_FILE]``

Sets DATA_ENCRYPTION_KEY and MODEL_SIGNING_KEY where they are missing or
empty, and never replaces a key that is set: a lost data key means lost data.
With ``--rotate``, the current DATA_ENCRYPTION_KEY moves to the front of
DATA_ENCRYPTION_PREVIOUS_KEYS (so files sealed with it stay readable) and a
fresh one takes its place; ``python -m <package> rotate-keys`` then re-seals
every data file. The file is replaced atomically with mode 0600. Standard
library only: it runs before the project's dependencies are installed.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

KEYS = ("DATA_ENCRYPTION_KEY", "MODEL_SIGNING_KEY")
PREVIOUS = "DATA_ENCRYPTION_PREVIOUS_KEYS"
# As python-dotenv reads a line: leading spaces, `export`, spaces around `=`.
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def unquoted(value: str) -> str:
    """A value as dotenv reads it: inside its quotes, or up to a `#` comment."""
    if value[:1] in {"'", '"'}:
        end = value.find(value[0], 1)
        return value[1:end] if end > 0 else value[1:]
    return re.sub(r"(^|\s+)#.*$", "", value).strip()


def values(lines: list[str]) -> dict[str, tuple[int, str]]:
    """Each setting's line number and value, by upper-case name (settings ignore
    case, as pydantic-settings does); the last one wins, as in dotenv."""
    found = {}
    for number, line in enumerate(lines):
        match = _ASSIGNMENT.match(line)
        if match:
            found[match[1].upper()] = (number, unquoted(match[2]))
    return found


def update(lines: list[str], rotate: bool) -> tuple[list[str], list[str]]:
    """The new lines, and the names of the settings that changed."""
    lines = list(lines)
    found = values(lines)
    changes: dict[str, str] = {}
    for name in KEYS:
        if not found.get(name, (0, ""))[1]:
            changes[name] = new_key()
    current = found.get("DATA_ENCRYPTION_KEY", (0, ""))[1]
    if rotate and current:
        older = [key.strip() for key in found.get(PREVIOUS, (0, ""))[1].split(",") if key.strip()]
        changes["DATA_ENCRYPTION_KEY"] = new_key()
        changes[PREVIOUS] = ",".join([current, *older])
    for name, value in changes.items():
        line = f"{name}={value}"
        if name in found:
            lines[found[name][0]] = line
        else:
            lines.append(line)
    return lines, list(changes)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, mode 0600, so a crash leaves the old file whole."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_file", nargs="?", type=Path, default=Path(".env"))
    parser.add_argument(
        "--rotate", action="store_true", help="replace DATA_ENCRYPTION_KEY, keeping the old one"
    )
    args = parser.parse_args(argv)
    path: Path = args.env_file
    if path.is_symlink():
        print(
            f"error: {path} is a symlink; add the keys to the file it points to by hand",
            file=sys.stderr,
        )
        return 1
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines, changed = update(text.splitlines(), args.rotate)
    if not changed:
        print(f"{path} already holds DATA_ENCRYPTION_KEY and MODEL_SIGNING_KEY; nothing changed.")
        return 0
    write_private(path, "\n".join(lines) + "\n")
    print(
        f"Wrote {', '.join(changed)} to {path} (mode 0600). Back up {path} somewhere safe: "
        "data encrypted with a lost key cannot be recovered."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
