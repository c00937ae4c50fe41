"""Write fresh keys into .env without printing them: `make keygen`, `make rotate-keys`.

Usage: ``python tools/keygen.py [--rotate] [ENV_FILE]``

Sets DATA_ENCRYPTION_KEY and MODEL_SIGNING_KEY where they are missing or
empty, and never replaces a key that is set: a lost data key means lost data.
With ``--rotate``, the current DATA_ENCRYPTION_KEY moves to the front of
DATA_ENCRYPTION_PREVIOUS_KEYS (so files sealed with it stay readable) and a
fresh one takes its place; ``python -m <package> rotate-keys`` then re-seals
every data file.

The file is read the way the settings read it: with python-dotenv (from the
project's venv) when it is there, names in any case, the last non-empty value
winning. A new value replaces a plain ``NAME=value`` line, or is added at the
end; the result is read back and written only if the settings would see
exactly the intended keys. It is replaced atomically, with mode 0600. Without
the venv (before the first install) the standard library's reading is used.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

KEYS = ("DATA_ENCRYPTION_KEY", "MODEL_SIGNING_KEY")
PREVIOUS = "DATA_ENCRYPTION_PREVIOUS_KEYS"
# As python-dotenv reads a line: leading spaces, `export`, spaces around `=`.
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?\s*=\s*(.*?)\s*$")


class KeygenError(Exception):
    """The keys cannot be written safely; the message never holds a value."""


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def unquoted(value: str) -> str:
    """A value as dotenv reads it: inside its quotes, or up to a `#` comment."""
    if value[:1] in {"'", '"'}:
        end = value.find(value[0], 1)
        return value[1:end] if end > 0 else value[1:]
    return re.sub(r"(^|\s+)#.*$", "", value).strip()


# What the standard library reads exactly as python-dotenv does: one setting a
# line, an unquoted value or a value in quotes on the same line, a comment.
_SIMPLE_LINE = re.compile(
    r"""\s*(?:\#.*)?|\s*(?:export\s+)?['"]?[A-Za-z_][A-Za-z0-9_]*['"]?\s*=\s*"""
    r"""(?:[^'"\s#][^#]*?|'[^'\n]*'|"[^"\n]*")?\s*(?:\s\#.*)?"""
)


def entries(text: str) -> list[tuple[str, str | None]]:
    """Every (name, value) the file assigns, in order; ``None`` for a bare name."""
    try:
        from dotenv import dotenv_values  # in the project's venv only
    except ImportError:
        # Without python-dotenv, read only what is read the same way by both.
        if "\r" in text or not all(_SIMPLE_LINE.fullmatch(line) for line in text.split("\n")):
            raise KeygenError(
                "it has lines only python-dotenv reads exactly (quotes over several lines, "
                "carriage returns, bare names); run `make install` first, then `make keygen`"
            ) from None
        found: list[tuple[str, str | None]] = []
        for line in text.split("\n"):
            match = _ASSIGNMENT.match(line)
            if match:
                found.append((match[1], unquoted(match[2])))
        return found
    return list(dotenv_values(stream=io.StringIO(text)).items())


def effective(text: str) -> dict[str, str]:
    """Each setting as the settings see it: names upper-cased, an empty value
    ignored, a bare name (no `=`) unsetting it, otherwise the last one wins."""
    seen: dict[str, str] = {}
    for name, value in entries(text):
        if value is None:
            seen.pop(name.upper(), None)
        elif value.strip():
            seen[name.upper()] = value.strip()
    return seen


def assign(lines: list[str], name: str, value: str) -> list[str]:
    """``lines`` with ``name`` set to ``value``: in place of the last line naming it
    when that line is a placeholder or a plain ``NAME=value``, else at the end."""
    naming = [
        number
        for number, line in enumerate(lines)
        if re.match(rf"^\s*(?:export\s+)?['\"]?{name}['\"]?\s*=", line, re.IGNORECASE)
    ]
    line = f"{name}={value}"
    if naming:
        last = lines[naming[-1]]
        match = _ASSIGNMENT.match(last)
        placeholder = match is not None and not unquoted(match[2])
        if placeholder or re.fullmatch(rf"{name}=[A-Za-z0-9_=,\-]*", last):
            return [*lines[: naming[-1]], line, *lines[naming[-1] + 1 :]]
    return [*lines, line]


def update(text: str, rotate: bool) -> tuple[str, list[str]]:
    """The new text and the names of the settings that changed."""
    before = effective(text)
    for name in KEYS:
        # A line that plainly gives the key a value which the reader above did
        # not see (an unclosed quote): adding another key would hide the error.
        written = [
            unquoted(match[2])
            for match in map(_ASSIGNMENT.match, text.split("\n"))
            if match and match[1].upper() == name
        ]
        if name not in before and any(value.strip() for value in written):
            raise KeygenError(
                f"{name} has a value that cannot be read (check its quotes); fix that line by hand"
            )
    wanted = dict(before)
    for name in KEYS:
        if name not in before:
            wanted[name] = new_key()
    if rotate and "DATA_ENCRYPTION_KEY" in before:
        older = [key.strip() for key in before.get(PREVIOUS, "").split(",") if key.strip()]
        wanted["DATA_ENCRYPTION_KEY"] = new_key()
        wanted[PREVIOUS] = ",".join([before["DATA_ENCRYPTION_KEY"], *older])
    changed = [name for name in wanted if wanted[name] != before.get(name)]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for name in changed:
        lines = assign(lines, name, wanted[name])
    result = "\n".join(lines) + "\n"
    after = effective(result)
    # Exactly the intended change: the keys as wanted, every other setting as it was.
    if after != {name: value for name, value in wanted.items() if value}:
        raise KeygenError(
            "the keys could not be added so that the settings read them; add them by hand"
        )
    return result, changed


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, mode 0600, so a crash leaves the old file whole.

    The same steps as the package's ``hardening.encryption.write_atomically``,
    copied: this tool runs on any python3 before the package is installed, and
    tools import nothing of the package (the import contracts in pyproject.toml).
    python-dotenv's ``set_key`` writes one setting a call, keeps the old mode
    and does not fsync, so it cannot replace this.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
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
    try:
        text = path.read_bytes().decode("utf-8") if path.exists() else ""
        new_text, changed = update(text, args.rotate)
    except UnicodeDecodeError:
        print(f"error: {path} is not UTF-8 text; nothing changed", file=sys.stderr)
        return 1
    except KeygenError as error:
        print(f"error: {path}: {error}; nothing changed", file=sys.stderr)
        return 1
    if not changed:
        print(f"{path} already holds DATA_ENCRYPTION_KEY and MODEL_SIGNING_KEY; nothing changed.")
        return 0
    write_private(path, new_text)
    print(
        f"Wrote {', '.join(changed)} to {path} (mode 0600). Back up {path} somewhere safe: "
        "data encrypted with a lost key cannot be recovered."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
