"""Cut a release: ``make release VERSION=X.Y.Z``.

Refuses, changing nothing, unless the working tree is clean, VERSION is a
PEP 440 version in normal form above every release tag, no tag has that name,
and ``CHANGELOG.md`` has (or can be given, from ``[Unreleased]``) a section for
VERSION with an ``Upgrade notes`` part. Then it commits the moved changelog
section, if it moved one, and makes an annotated tag. Pushing the tag is the
maintainer's step: projects record the tag they were made from, so a tag is
never moved once pushed.
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
from pathlib import Path

from packaging.version import InvalidVersion, Version

CHANGELOG = Path("CHANGELOG.md")
UNRELEASED = "## [Unreleased]"
UPGRADE_NOTES = "### Upgrade notes"
SECTION = re.compile(r"^## \[(?P<name>[^\]]+)\]", re.MULTILINE)


class Refused(Exception):
    """The release cannot be made; the message says why and what to do."""


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Refused(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def parse_version(text: str) -> Version:
    try:
        version = Version(text)
    except InvalidVersion:
        raise Refused(f"{text!r} is not a PEP 440 version (for example 1.2.0)") from None
    if str(version) != text:
        raise Refused(f"write the version in its normal form: {version} (not {text})")
    if version.local is not None:
        raise Refused("a release cannot carry a local version label (+...)")
    return version


def latest_release() -> Version | None:
    """The highest tag that is a PEP 440 version; other tags are not releases."""
    versions = []
    for tag in git("tag", "--list").split():
        try:
            versions.append(Version(tag))
        except InvalidVersion:
            continue
    return max(versions, default=None)


def sections(text: str) -> dict[str, tuple[int, int]]:
    """``name -> (start, end)`` of each ``## [name]`` section of the changelog."""
    starts = [(match.group("name"), match.start()) for match in SECTION.finditer(text)]
    ends = [start for _, start in starts[1:]] + [len(text)]
    return {name: (start, end) for (name, start), end in zip(starts, ends, strict=True)}


def with_release_section(text: str, version: str, today: str) -> tuple[str, bool]:
    """Return the changelog with a section for ``version``, and whether it moved one.

    An existing section is used as it is; otherwise the entries under
    ``[Unreleased]`` move into a new section and ``[Unreleased]`` stays, empty.
    """
    found = sections(text)
    if version in found:
        start, end = found[version]
        body, moved = text[start:end], False
    else:
        if "Unreleased" not in found:
            raise Refused(f"{CHANGELOG} has no {UNRELEASED} section to release")
        start, end = found["Unreleased"]
        entries = text[start + len(UNRELEASED) : end].strip("\n")
        if not entries.strip():
            raise Refused(f"{CHANGELOG}: {UNRELEASED} is empty; there is nothing to release")
        body = f"## [{version}] - {today}\n\n{entries}\n\n"
        text = f"{text[:start]}{UNRELEASED}\n\n{body}{text[end:]}"
        moved = True
    if UPGRADE_NOTES not in body:
        raise Refused(
            f"{CHANGELOG}: the {version} section needs an {UPGRADE_NOTES!r} part saying what a "
            "project owner does after `copier update` (write 'None.' if nothing)"
        )
    return text, moved


def release(version_text: str) -> str:
    version = parse_version(version_text)
    if git("status", "--porcelain", "--untracked-files=all").strip():
        raise Refused("the working tree is not clean: commit or stash your changes first")
    if version_text in git("tag", "--list", version_text).split():
        raise Refused(f"tag {version_text} exists already; tags are never moved")
    latest = latest_release()
    if latest is not None and version <= latest:
        raise Refused(f"{version} is not above the latest release, {latest}")
    today = datetime.datetime.now(tz=datetime.UTC).date().isoformat()
    text, moved = with_release_section(CHANGELOG.read_text(encoding="utf-8"), version_text, today)
    if moved:
        CHANGELOG.write_text(text, encoding="utf-8")
        try:
            git("commit", "--quiet", "--message", f"Release {version_text}", "--", str(CHANGELOG))
        except Refused:
            git("checkout", "--", str(CHANGELOG))
            raise
    git("tag", "--annotate", version_text, "--message", f"Release {version_text}")
    return f"Tagged {version_text}. Push it when ready: git push origin HEAD {version_text}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("version", help="the new release, a PEP 440 version such as 1.2.0")
    args = parser.parse_args(argv)
    try:
        print(release(args.version))
    except Refused as refusal:
        print(f"release refused: {refusal}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
