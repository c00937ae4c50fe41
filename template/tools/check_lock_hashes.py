"""Check that every hash in the lock files is one the package index serves.

Kept up to date by the template (`copier update` replaces this file).

pip-compile reuses the hashes already written in a lock, so re-resolving a
lock cannot notice a ``--hash`` line added by hand: one extra hash under an
existing pin passes the pin comparison and the vulnerability audit (the
version is unchanged), and ``pip install --require-hashes`` then accepts a
different file of that version from any mirror that serves one. This check
asks the index itself, through the simple API pip reads, which files it
serves for each pinned version, and fails on any hash it does not list.

    python tools/check_lock_hashes.py requirements/base.txt requirements/dev.txt
    python tools/check_lock_hashes.py --refresh requirements/*.txt    # `make lock`
    python tools/check_lock_hashes.py --offline requirements/dev.txt  # `make install`

``--refresh`` rewrites each pin's hashes to exactly the index's, so a lock
that failed the check is mended by ``make lock``. ``--offline`` checks only
the lock's form, with the standard library alone, before anything installs
from it: exact pins with sha256 hashes and nothing else, because pip obeys
options written in a requirements file (``--extra-index-url``,
``--find-links``, ``-r``), so a lock could otherwise bring its own index.

The index is the one pip is configured to use (``PIP_INDEX_URL``,
``PIP_EXTRA_INDEX_URL``, ``PIP_CONFIG_FILE``, the user's and the system's
pip.conf), with pip's ``cert`` setting for TLS. pip also reads a pip.conf
inside the virtualenv, a file a commit can bring (``git add -f
.venv/pip.conf``) to name an index of its own: while one is there the check
fails instead of counting it. ``make install`` makes the venv afresh, and
refuses a tree that tracks anything under ``.venv``.
Find-links folders are not consulted: a locked hash must be published by an
index. An index that cannot be read fails the check; it never passes it.
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import http.client
import json
import netrc
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit
from urllib.request import url2pathname

PYPI = "https://pypi.org/simple"
TIMEOUT_SECONDS = 60
ATTEMPTS = 3
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"

# One lock entry once continuation lines are joined: an exact pin, an optional
# environment marker, then sha256 hashes and nothing else.
# The version is PEP 440 in its normal form, as pip-compile writes it: pip
# would read a version ending in an archive suffix (1.0.tar.gz) as a local
# file. No word of the marker may start with '-': pip would read an option.
VERSION = (
    r"(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?"
    r"(?:\+[a-z0-9]+(?:\.[a-z0-9]+)*)?"
)
# A marker is at most 1000 characters and a line 4096: longer ones would
# make this pattern slow (the lock tools write neither).
ENTRY = re.compile(
    rf"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==(?P<version>{VERSION})"
    r"(?: ; (?P<marker>(?:(?! -)[^$#@\\\t]){1,1000}?))?"
    r"(?P<hashes>(?: +--hash=sha256:[0-9a-f]{64})+)$"
)
# Markers pip and uv evaluate alike: a variable compared with a quoted
# literal (a version for the version variables), joined by and/or. Anything
# else (a variable compared with a variable, a literal with a literal, ~=,
# ===) pip refuses or skips where uv installs.
MARKER_VARIABLE = (
    r"(?:os_name|sys_platform|platform_machine|platform_python_implementation"
    r"|platform_system|implementation_name)"
)
MARKER_CLAUSE = re.compile(
    r"\(*\s*(?:"
    r"(?:python_version|python_full_version|implementation_version)\s*(?:==|!=|<=|>=|<|>)\s*"
    r"""(?:"[0-9]+(?:\.[0-9]+)*(?:\.\*)?"|'[0-9]+(?:\.[0-9]+)*(?:\.\*)?')"""
    rf"|{MARKER_VARIABLE}\s*(?:==|!=|not in|in)\s*(?:\"[^\"]*\"|'[^']*')"
    r")\s*\)*"
)
# What pip takes for a local archive (pip/_internal/utils/filetypes.py), even
# in a local version label: foo==1.0+evil.tar.gz.
ARCHIVE = re.compile(r"\.(?:whl|zip|tar|tgz|tbz|txz|tlz|gz|bz2|xz|lz|lzma)$", re.IGNORECASE)
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")
MAX_LINE = 4096
# How pip reads a requirements file (pip/_internal/req/req_file.py): a '#' at
# the start or after whitespace begins a comment; a line ending in a backslash
# is joined to the next, unless it is a comment itself; the first two lines may
# declare an encoding.
COMMENT = re.compile(r"(^|\s+)#.*$")
CODING = re.compile(rb"coding[:=]")
# Bytes neither lock tool writes, on which the tools that read a lock split
# lines differently: Python and pip at a form feed or a lone carriage return,
# uv at a carriage return only, awk and git at neither. A line hidden from one
# reader would be installed by another.
CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")
# The physical lines both lock tools write, and nothing else: pip joins a
# line ending in a backslash to the next, uv reads a backslash and line end as
# a space, so a backslash is allowed only where both readings agree: after a
# space, at the end of a pin or hash line, before a hash line.
PIN_LINE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?==[^ \\]+(?: ; [^\\#]+?)?"
    r"(?: --hash=sha256:[0-9a-f]{64})*(?: \\)?"
)
HASH_LINE = re.compile(r" +--hash=sha256:[0-9a-f]{64}(?: \\)?")
COMMENT_LINE = re.compile(r" *#[^\\]*")


def canonicalize_name(name: str) -> str:
    """PEP 503 normalised name, as index pages are addressed."""
    return re.sub(r"[-_.]+", "-", name).lower()


class LockError(Exception):
    """A lock cannot be checked: not pip-compile's format, or the index is unreadable."""


class Entry(NamedTuple):
    name: str
    version: str
    hashes: frozenset[str]
    first_line: int  # 0-based, the pin itself
    last_line: int  # the last line with a hash


# --- reading a lock ---------------------------------------------------------


def read_lock(path: Path) -> list[Entry]:
    """Parse a pip-compile lock; refuse anything pip would read but we cannot check."""
    data = path.read_bytes()
    # pip guesses a file's encoding from a BOM or a coding line; pip-compile
    # writes plain ASCII, and anything else could read differently to pip.
    if not data.isascii():
        raise LockError(f"{path}: not plain ASCII, as pip-compile writes it")
    if any(line.startswith(b"#") and CODING.search(line) for line in data.split(b"\n")[:2]):
        raise LockError(f"{path}: declares an encoding, which pip-compile never writes")
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    for number, line in enumerate(lines):
        control = CONTROL.search(line)
        if control:
            code = control.group()[0]
            raise LockError(f"{path}:{number + 1}: a control character (0x{code:02x})")
        if len(line) > MAX_LINE:
            raise LockError(f"{path}:{number + 1}: a line longer than {MAX_LINE} characters")
    entries: list[Entry] = []
    for first, last, text in logical_lines(data.decode("ascii").splitlines()):
        text = COMMENT.sub("", text).strip()
        if not text:
            continue
        match = ENTRY.match(text)
        if match is None:
            raise LockError(f"{path}:{first + 1}: {describe(text)}")
        if ARCHIVE.search(match["version"]):
            raise LockError(f"{path}:{first + 1}: pip would read this version as a local archive")
        if match["marker"] and not plain_marker(match["marker"]):
            raise LockError(f"{path}:{first + 1}: a marker pip and uv may read differently")
        name = canonicalize_name(match["name"])
        if any(entry.name == name for entry in entries):
            raise LockError(f"{path}:{first + 1}: {name} is pinned twice")
        hashes = frozenset(HASH.findall(match["hashes"]))
        entries.append(Entry(name, match["version"], hashes, first, last))
    # Last, as the parser above says best what is wrong with an entry.
    check_layout(path, [line.decode("ascii") for line in lines])
    return entries


def plain_marker(marker: str) -> bool:
    """A marker of clauses pip and uv evaluate alike, joined by and/or."""
    clauses = re.split(r"\s+(?:and|or)\s+", marker.strip())
    balanced = marker.count("(") == marker.count(")")
    return balanced and all(MARKER_CLAUSE.fullmatch(clause) for clause in clauses)


def check_layout(path: Path, lines: list[str]) -> None:
    """Refuse a line pip, uv and awk could split or join differently."""
    continued = False
    for number, line in enumerate(lines):
        where = f"{path}:{number + 1}"
        if continued:
            if not HASH_LINE.fullmatch(line):
                raise LockError(f"{where}: a continued line must be a --hash line")
        elif line.endswith("\\") and COMMENT.search(line):
            # pip joins the next line into the comment; uv reads it as a line.
            raise LockError(f"{where}: a comment continued onto the next line")
        elif HASH_LINE.fullmatch(line):
            raise LockError(f"{where}: a --hash line outside a pin")
        elif line and not COMMENT_LINE.fullmatch(line) and not PIN_LINE.fullmatch(line):
            raise LockError(f"{where}: not a line pip-compile or uv writes")
        continued = line.endswith(" \\")
    if continued:
        raise LockError(f"{path}: ends in a continued line")


def logical_lines(lines: list[str]) -> Iterator[tuple[int, int, str]]:
    """(first, last line index, joined text), joining lines exactly as pip does."""
    pending: list[str] = []
    start = 0
    for number, line in enumerate(lines):
        if line.endswith("\\") and not COMMENT.match(line):
            start = number if not pending else start
            pending.append(line.strip("\\"))
            continue
        if COMMENT.match(line):
            line = " " + line  # so the comment is still found once joined
        yield (start if pending else number), number, "".join(pending) + line
        pending = []
    if pending:
        yield start, len(lines) - 1, "".join(pending)


def describe(text: str) -> str:
    """Why a lock line is refused, naming no more of it than an option's name (a line
    may hold a URL with a password)."""
    option = re.match(r"--[A-Za-z-]{1,30}|-[A-Za-z]", text)
    if option:
        return f"the option {option[0]} is not allowed in a lock (pip would obey it)"
    if re.search(r"--hash[= ](?!sha256:[0-9a-f]{64}\b)", text):
        return "only --hash=sha256:<64 lowercase hex digits> is allowed"
    return "not an exact pin (name==version) followed only by sha256 hashes"


# --- where pip looks --------------------------------------------------------


class Index(NamedTuple):
    url: str  # without credentials
    authorization: str | None

    @property
    def shown(self) -> str:
        """The URL without credentials or query, for messages."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def pip_config_list() -> str:
    """What `pip config list` prints: every pip.conf setting pip would use."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            check=True,
            timeout=TIMEOUT_SECONDS,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""  # no pip here: the environment alone decides


def venv_pip_conf() -> Path | None:
    """The pip.conf pip reads inside the running virtualenv, if there is one."""
    if sys.prefix == sys.base_prefix:
        return None  # not a venv: pip's site file is the system's
    path = Path(sys.prefix, "pip.ini" if sys.platform == "win32" else "pip.conf")
    return path if path.exists() else None


def pip_configuration() -> dict[str, str]:
    """pip's effective settings (`pip config list`): environment, then install, then global."""
    planted = venv_pip_conf()
    if planted is not None:
        raise LockError(
            f"{planted}: pip settings inside the virtualenv are not trusted (a commit can "
            "bring them); move them to PIP_CONFIG_FILE or ~/.config/pip/pip.conf, then "
            "run 'make clean install'"
        )
    found: dict[str, dict[str, str]] = {}
    for line in pip_config_list().splitlines():
        key, sep, value = line.partition("=")
        section, dot, name = key.rpartition(".")
        if sep and dot:
            found.setdefault(name, {})[section] = ast.literal_eval(value)
    settings = {name: by[s] for name, by in found.items() for s in ("global", "install") if s in by}
    settings.update({n: by[":env:"] for n, by in found.items() if ":env:" in by})
    for name in ("index-url", "extra-index-url", "no-index", "cert"):
        value = os.environ.get("PIP_" + name.upper().replace("-", "_"))
        if value:
            settings[name] = value
    return settings


def configured_indexes(settings: dict[str, str]) -> list[Index]:
    if settings.get("no-index", "").lower() in {"1", "true", "yes", "on"}:
        raise LockError("pip is set to --no-index: there is no index to check the hashes against")
    urls = [settings.get("index-url") or PYPI, *settings.get("extra-index-url", "").split()]
    return [with_credentials(url) for url in urls]


def with_credentials(url: str) -> Index:
    """Move user:password (or a ~/.netrc entry) out of the URL into a header."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (a password with an unencoded '/', '?' or '#' lands here)
    except ValueError:
        parts = None
    if parts is None or "@" in parts.path + parts.query + parts.fragment:
        # Shown nowhere: part of a password may be what makes it invalid.
        raise LockError(
            "an index URL in pip's settings is not a valid URL; percent-encode any "
            "'/', '?', '#' or '@' in its user name or password"
        )
    bare = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, ""))
    user, password = parts.username, parts.password
    if user is None and parts.hostname and parts.scheme in {"http", "https"}:
        try:
            found = netrc.netrc().authenticators(parts.hostname)
        except (OSError, netrc.NetrcParseError):
            found = None
        if found:
            user, password = found[0], found[2]
    if user is None:
        return Index(bare, None)
    token = f"{unquote(user)}:{unquote(password or '')}".encode()
    return Index(bare, "Basic " + base64.b64encode(token).decode())


# --- what the index serves --------------------------------------------------


class _Links(HTMLParser):
    """The file links of a PEP 503 project page: (file name, URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None and data.strip():
            self.links.append((data.strip(), self._href))
            self._href = None


def pause(seconds: float) -> None:
    """Wait before asking an index again."""
    time.sleep(seconds)


class Reader:
    """Reads project pages from the indexes and hashes files that carry no hash."""

    def __init__(self, indexes: list[Index], cert: str | None) -> None:
        self.indexes = indexes
        self.tls = ssl.create_default_context(cafile=cert or None)

    def fetch(self, index: Index, url: str, accept: str) -> tuple[bytes, str] | None:
        """(body, content type) of ``url``; None when the index has no such page."""
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(url2pathname(parts.path))
            path = path / "index.html" if path.is_dir() else path
            return (path.read_bytes(), "text/html") if path.is_file() else None
        if parts.scheme not in {"http", "https"}:
            raise LockError(f"{index.shown}: only http(s) and file indexes can be checked")
        request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310
        if index.authorization and urlsplit(url).netloc == urlsplit(index.url).netloc:
            request.add_header("Authorization", index.authorization)
        # A dropped connection, a failed name lookup or a busy server is tried
        # again; one that lasts still fails the check.
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with urllib.request.urlopen(  # noqa: S310 (scheme checked above)
                    request, timeout=TIMEOUT_SECONDS, context=self.tls
                ) as response:
                    return response.read(), response.headers.get_content_type()
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    return None
                if attempt == ATTEMPTS or (error.code < 500 and error.code != 429):
                    raise LockError(f"{index.shown} answered HTTP {error.code}") from None
            except (ValueError, http.client.InvalidURL):
                raise LockError(f"could not read {index.shown}: not a valid URL") from None
            except (OSError, http.client.HTTPException) as error:
                # A server that hangs up or answers garbage is a dropped
                # connection too (RemoteDisconnected, BadStatusLine).
                if attempt == ATTEMPTS:
                    reason = getattr(error, "reason", None) or error
                    raise LockError(f"could not read {index.shown}: {reason}") from None
            pause(attempt)
        raise LockError(f"could not read {index.shown}")  # every attempt failed

    def files(self, index: Index, project: str) -> list[tuple[str, str | None, str]]:
        """(file name, sha256 or None, URL) of every file ``index`` lists for ``project``."""
        page_url = index.url.rstrip("/") + f"/{project}/"
        page = self.fetch(index, page_url, f"{SIMPLE_JSON}, text/html;q=0.1")
        if page is None:
            return []
        body, content_type = page
        if content_type == SIMPLE_JSON:
            listed = json.loads(body)["files"]
            return [
                (f["filename"], f.get("hashes", {}).get("sha256"), urljoin(page_url, f["url"]))
                for f in listed
            ]
        parser = _Links()
        parser.feed(body.decode("utf-8", "replace"))
        found = []
        for name, href in parser.links:
            url, _, fragment = urljoin(page_url, href).partition("#")
            digest = fragment[len("sha256=") :] if fragment.startswith("sha256=") else None
            found.append((name, digest, url))
        return found

    def hash_of(self, index: Index, url: str) -> str:
        fetched = self.fetch(index, url, "*/*")
        if fetched is None:
            raise LockError(f"{index.shown} lists a file it does not serve")
        return hashlib.sha256(fetched[0]).hexdigest()

    def served(self, project: str) -> dict[str, set[str]]:
        """Every sha256 the indexes serve for ``project``, by normalised version."""
        by_version: dict[str, set[str]] = {}
        for index in self.indexes:
            for filename, digest, url in self.files(index, project):
                version = version_of(filename, project)
                if version is not None:
                    by_version.setdefault(version, set()).add(digest or self.hash_of(index, url))
        return by_version


def version_of(filename: str, project: str) -> str | None:
    """The normalised version of a wheel or sdist of ``project``; None for anything else."""
    # Imported here, not at the top, so that --offline needs the standard library only.
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion

    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return str(version) if name == project else None


Available = dict[tuple[str, str], set[str]]


def index_hashes(reader: Reader, entries: list[Entry]) -> Available:
    """What the indexes serve for each (name, version) pinned in ``entries``."""
    from packaging.version import Version

    projects = sorted({entry.name for entry in entries})
    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = dict(zip(projects, pool.map(reader.served, projects), strict=True))
    return {(e.name, e.version): pages[e.name].get(str(Version(e.version)), set()) for e in entries}


# --- checking and refreshing ------------------------------------------------


def check(locks: dict[Path, list[Entry]], available: Available) -> list[str]:
    problems = []
    for path, entries in locks.items():
        for entry in entries:
            served = available[entry.name, entry.version]
            if not served:
                problems.append(f"{path}: {entry.name}=={entry.version} is not on the index")
                continue
            for digest in sorted(entry.hashes - served):
                problems.append(
                    f"{path}: {entry.name}=={entry.version} has --hash=sha256:{digest}, "
                    "which the index does not serve for that version"
                )
    return problems


def refresh(path: Path, entries: list[Entry], available: Available) -> bool:
    """Rewrite each pin's hashes to the index's, in pip-compile's layout; True if changed."""
    before = path.read_text(encoding="utf-8")
    lines = before.splitlines()
    out: list[str] = []
    done = 0
    for entry in entries:
        out += lines[done : entry.first_line]
        digests = sorted(available[entry.name, entry.version])
        out.append(lines[entry.first_line].removesuffix("\\").rstrip() + " \\")
        out += [f"    --hash=sha256:{d} \\" for d in digests[:-1]]
        out.append(f"    --hash=sha256:{digests[-1]}")
        done = entry.last_line + 1
    text = "\n".join(out + lines[done:]) + "\n"
    if text == before:
        return False
    # The whole new file or the old one: write beside it, then rename over it.
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        tmp.write(text)
    Path(tmp.name).replace(path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locks", nargs="+", type=Path, help="pip-compile lock files")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--refresh", action="store_true", help="rewrite each pin's hashes to the index's"
    )
    mode.add_argument("--offline", action="store_true", help="check the form only; ask no index")
    args = parser.parse_args(argv)
    try:
        locks = {path: read_lock(path) for path in args.locks}
        if args.offline:
            return 0
        settings = pip_configuration()
        reader = Reader(configured_indexes(settings), settings.get("cert"))
        available = index_hashes(reader, [e for entries in locks.values() for e in entries])
    except LockError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    shown = ", ".join(index.shown for index in reader.indexes)
    problems = check(locks, available)
    if args.refresh:
        # Only a pin the index does not have at all stops a refresh.
        problems = [problem for problem in problems if problem.endswith("is not on the index")]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(
            f"A lock may only hold hashes the index ({shown}) publishes: run 'make lock' "
            "to rewrite them from the index, and find out who added the others.",
            file=sys.stderr,
        )
        return 1
    if args.refresh:
        for path, entries in locks.items():
            if refresh(path, entries, available):
                print(f"{path}: hashes rewritten from {shown}")
        return 0
    count = sum(len(entries) for entries in locks.values())
    print(f"lock hashes: every hash of {count} pins is served by {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
