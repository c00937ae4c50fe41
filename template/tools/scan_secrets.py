"""detect-secrets on the given files, once .secrets.baseline is shown to be trustworthy.

Kept up to date by the template (`copier update` replaces this file).

detect-secrets passes any secret its baseline lists, and takes its detectors
and filters from the baseline too. So a baseline regenerated with
``detect-secrets scan --baseline .secrets.baseline`` after a key was
committed, or edited to drop a detector or exclude every file, would turn the
gate into a pass. Before scanning, this refuses a baseline that:

- lists a finding not audited as a false positive (``detect-secrets audit
  .secrets.baseline`` records that decision as ``"is_secret": false``);
- leaves out one of detect-secrets' detectors, raises an entropy limit above
  its default, or excludes keywords;
- loads a detector or filter from outside detect-secrets (that would also run
  its code), or excludes lines or secrets by pattern;
- excludes a tracked file other than the lock files (their hashes look like
  secrets);
- was written by another version of detect-secrets, or holds settings this
  version does not write: detect-secrets upgrades an older baseline as it
  loads it, turning old settings into exclusions and plugin code that the
  checks above would not see.

It also scans the baseline itself (detect-secrets skips it, so a key could
hide in any of its values) and the text files detect-secrets skips for their
name alone (.css, .svg, .lock...), and refuses a file it is given that
detect-secrets would skip unread: text that is not UTF-8 (Python may still
run it), or another file named .secrets.baseline. The shipped baseline leaves out three of
detect-secrets' default filters, which drop real keys (see DROPPED_DEFAULTS);
this refuses them back.

    python tools/scan_secrets.py FILE...   # `make audit-secrets`, pre-commit
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from detect_secrets.__version__ import VERSION
from detect_secrets.filters.heuristic import is_non_text_file
from detect_secrets.settings import default_settings

BASELINE = Path(".secrets.baseline")
# The hook from this venv; the file names it is given are only ever read.
HOOK = Path(sys.executable).with_name("detect-secrets-hook")
# What `detect-secrets scan` writes at the top of a baseline, and nothing else.
KEYS = {"version", "plugins_used", "filters_used", "results", "generated_at"}
# The only files the baseline may exclude: the hash-locked requirements (uv.txt
# with lock_backend uv), whose hashes a scanner would take for secrets.
EXCLUDABLE = {"requirements/base.txt", "requirements/dev.txt", "requirements/uv.txt"}
EXCLUDE_FILES = "detect_secrets.filters.regex.should_exclude_file"
# Ignores findings by whether a service verified them: above level 2 it would
# ignore every unverified finding, which offline is every finding.
VERIFICATION = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"
# Written by `detect-secrets scan --baseline`: skips the baseline file itself.
BASELINE_FILE = "detect_secrets.filters.common.is_baseline_file"
# Default filters the shipped baseline leaves out, as each drops real keys:
# every finding on a line like `x = f(..., "AKIA...")`, and every finding in
# a file named like a lock file or with "swagger" anywhere in its path.
DROPPED_DEFAULTS = {
    "detect_secrets.filters.heuristic.is_indirect_reference",
    "detect_secrets.filters.heuristic.is_lock_file",
    "detect_secrets.filters.heuristic.is_swagger_file",
}
GENERATED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def baseline_problems(baseline: dict[str, Any], tracked: list[str]) -> list[str]:
    """Every reason not to trust ``baseline``; empty when it may be used."""
    if baseline.get("version") != VERSION:
        return [
            f"it was written by detect-secrets {baseline.get('version')!s:.20}, not {VERSION}; "
            f"rewrite it with: detect-secrets scan --baseline {BASELINE}"
        ]
    if not GENERATED_AT.fullmatch(str(baseline.get("generated_at", ""))):
        return ["its generated_at is not a time as detect-secrets writes it"]
    return [
        *(
            f"the setting {key!s:.30} is not one detect-secrets writes"
            for key in baseline.keys() - KEYS
        ),
        *_unaudited(baseline.get("results", {})),
        *_weakened_plugins(baseline.get("plugins_used", [])),
        *_weakened_filters(baseline.get("filters_used", []), tracked),
    ]


def _unaudited(results: dict[str, list[dict[str, Any]]]) -> list[str]:
    return [
        f"{path}:{finding.get('line_number', '?')}: an {finding.get('type', 'unnamed')} "
        "finding is not audited as a false positive"
        for path, findings in sorted(results.items())
        for finding in findings
        if finding.get("is_secret") is not False
    ]


def _defaults() -> dict[str, list[dict[str, Any]]]:
    with default_settings() as settings:
        return settings.json()


def _weakened_plugins(plugins: list[dict[str, Any]]) -> list[str]:
    defaults = {plugin["name"]: plugin for plugin in _defaults()["plugins_used"]}
    used = {plugin.get("name"): plugin for plugin in plugins}
    problems = [f"the {name} detector is left out" for name in sorted(defaults.keys() - used)]
    for name, plugin in sorted(used.items(), key=lambda item: str(item[0])):
        default = defaults.get(name)
        if "path" in plugin or default is None:
            problems.append(f"the detector {name!s:.40} is not one of detect-secrets' own")
            continue
        if "limit" in default and not _at_most(plugin.get("limit"), default["limit"]):
            problems.append(f"the {name} limit is not a number up to {default['limit']}")
        if plugin.get("keyword_exclude"):
            problems.append(f"the {name} excludes keywords")
    return problems


def _weakened_filters(filters: list[dict[str, Any]], tracked: list[str]) -> list[str]:
    allowed = {used["path"] for used in _defaults()["filters_used"]} - DROPPED_DEFAULTS
    allowed |= {EXCLUDE_FILES, VERIFICATION, BASELINE_FILE}
    problems = []
    for used in filters:
        path = used.get("path")
        if path not in allowed:
            problems.append(f"the filter {path!s:.60} is not allowed")
        elif path == VERIFICATION and used.get("min_level", 2) > 2:
            problems.append("the verification filter ignores unverified findings")
        elif path == BASELINE_FILE and used.get("filename") != str(BASELINE):
            problems.append(f"the baseline filter skips {used.get('filename')!s:.60}")
        elif path == EXCLUDE_FILES:
            for pattern in used.get("pattern", []):
                excluded = [
                    name for name in tracked if re.search(pattern, name) and name not in EXCLUDABLE
                ]
                if excluded:
                    problems.append(f"the pattern {pattern!r:.60} excludes {excluded[0]}")
    return problems


def _at_most(value: object, limit: float) -> bool:
    """A real number no greater than ``limit`` (not NaN, not a bool, not a string)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value <= limit
    )


def unreadable(files: list[str]) -> list[str]:
    """Given files detect-secrets would skip unread, but not by a documented rule.

    detect-secrets skips, by name, the extensions it takes for binary (images,
    archives, .css, .svg...) and silently skips any other file it cannot
    decode as UTF-8: this names those, and any copy of the baseline's name.
    """
    found = []
    for name in files:
        path = Path(name)
        if path.name == BASELINE.name and path != BASELINE:
            found.append(f"{name}: detect-secrets skips every file named {BASELINE.name}")
        if is_non_text_file(name) or not path.is_file():
            continue
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            found.append(
                f"{name}: not UTF-8 text, so detect-secrets cannot read it; save it as UTF-8 "
                "(or keep binary files out of git)"
            )
    return found


def tracked_files() -> list[str]:
    # git from PATH, as make and pre-commit use it; fixed arguments.
    listed = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    return [name for name in listed.decode().split("\0") if name]


# Not JSON, not the shape detect-secrets writes, a bad pattern, or no git.
_UNREADABLE = (
    OSError,
    ValueError,
    re.error,
    AttributeError,
    TypeError,
    KeyError,
    subprocess.SubprocessError,
)


def main(files: list[str]) -> int:
    try:
        baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
        problems = [
            f"{BASELINE}: {problem}" for problem in baseline_problems(baseline, tracked_files())
        ]
        problems += unreadable(files)
    except _UNREADABLE as error:
        print(f"error: cannot read {BASELINE}: {type(error).__name__}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(
            f"Remove the secret, or mark a false positive with 'detect-secrets audit {BASELINE}'; "
            "never widen the baseline to let a finding pass.",
            file=sys.stderr,
        )
        return 1
    if holds_a_secret(baseline):
        print(f"error: {BASELINE}: a value in it looks like a secret", file=sys.stderr)
        return 1
    scan = [HOOK, "--baseline", str(BASELINE), *files]
    found = subprocess.run(scan, check=False).returncode  # noqa: S603
    return found or scan_disguised_text(files)


def scan_disguised_text(files: list[str]) -> int:
    """Scan the text files detect-secrets would skip for their extension alone.

    detect-secrets leaves out .css, .svg, .lock and other names it takes for
    binary, unread; a key in `deploy/keys.css` would pass. Each such file that
    is UTF-8 text is scanned as a copy named `<its path>.txt`.
    """
    disguised = []
    for name in files:
        path = Path(name)
        if is_non_text_file(name) and path.is_file():
            try:
                path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                continue  # binary, as its name says
            disguised.append(path)
    if not disguised:
        return 0
    with tempfile.TemporaryDirectory() as folder:
        copies = []
        for path in disguised:
            copy = Path(folder, f"{path}.txt")
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(path.read_bytes())
            copies.append(str(copy))
        done = subprocess.run([HOOK, *copies], check=False)  # noqa: S603
    if done.returncode:
        print(
            "error: the files above, named as binary, are text that holds what looks like a "
            "secret (shown with .txt added, from a copy)",
            file=sys.stderr,
        )
    return done.returncode


def holds_a_secret(baseline: dict[str, Any]) -> bool:
    """Scan the baseline itself, which detect-secrets skips, without its secret hashes."""
    copy = json.loads(json.dumps(baseline))
    for findings in copy.get("results", {}).values():
        for finding in findings:
            finding.pop("hashed_secret", None)
    with tempfile.TemporaryDirectory() as folder:
        contents = Path(folder) / "baseline-contents.json"
        contents.write_text(json.dumps(copy, indent=2), encoding="utf-8")
        scan = [HOOK, str(contents)]
        return subprocess.run(scan, capture_output=True, check=False).returncode != 0  # noqa: S603


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
