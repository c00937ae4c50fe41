"""Write the names package_name may not take because a locked package uses them.

A generated package is imported as ``import <package_name>``, installed into
the same virtualenv as every pinned distribution, and gets a console script
named ``<package_name with dashes>``. It must therefore differ from

- every top-level import name any pinned distribution installs (a package
  called ``pydantic_settings`` shadows the real one, and the project's own
  settings stop importing),
- every console script they install (``pip_audit`` would replace the
  ``pip-audit`` that ``make audit`` runs), and
- every pinned distribution's name (installing the project would uninstall
  the distribution of the same name).

The names are read from the wheels of every pin in every lock under
``includes/locks`` (all Pythons, all profiles, dev tools included): the
top-level entries of each wheel's file list, its ``entry_points.txt`` and its
``.data/scripts``. Wheels are downloaded once into ``.cache/wheels`` and
checked against the locks' hashes; later runs are offline.

Writes ``includes/dependency_names.json`` (every pin, what it installs, and
what that refuses) and ``includes/dependency_names.jinja`` (the refused names,
for the validator). ``make relock`` runs it after relocking;
``tests/test_python_names.py`` fails when a lock changed and it was not run.

    .venv/bin/python scripts/dependency_names.py
"""

from __future__ import annotations

import configparser
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from interpreters import SUPPORTED_PYTHONS, find_python
from locks import parse_lock

ROOT = Path(__file__).resolve().parent.parent


LOCKS = ROOT / "includes" / "locks"
DATA = ROOT / "includes" / "dependency_names.json"
OUTPUT = ROOT / "includes" / "dependency_names.jinja"
WHEELS = ROOT / ".cache" / "wheels"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def lock_files() -> list[Path]:
    """Every lock the template ships, in a stable order."""
    return [*sorted(LOCKS.glob("*/*.txt")), LOCKS / "uv.txt"]


def python_of(lock: Path) -> str:
    """The Python a lock was resolved for; uv.txt holds Python-independent wheels."""
    return lock.parent.name if lock.parent != LOCKS else SUPPORTED_PYTHONS[0]


def pins() -> dict[str, dict[str, object]]:
    """{"name==version": {"python": first Python that locks it, "hashes": [...]}}."""
    found: dict[str, dict[str, object]] = {}
    for lock in lock_files():
        for name, pin in parse_lock(lock).items():
            found.setdefault(
                f"{name}=={pin.version}",
                {"python": python_of(lock), "hashes": sorted(pin.hashes)},
            )
    return dict(sorted(found.items()))


def canonical(name: str) -> str:
    """PEP 503 normalisation: what pip compares distribution and script names by."""
    return re.sub(r"[-_.]+", "-", name).lower()


def download(pinned: dict[str, dict[str, object]]) -> None:
    """Fetch one wheel per pin for this machine's platform, hash-checked by pip."""
    for version in SUPPORTED_PYTHONS:
        # Locks of one Python may pin a name at two versions (a variant that
        # pulls it in with a newer release); pip takes one version a name in
        # a file, so each goes in a batch of its own.
        batches: list[list[str]] = []
        seen: dict[str, int] = {}
        for spec, info in pinned.items():
            if info["python"] != version or wheel_for(spec) is not None:
                continue
            name = spec.split("==")[0]
            index = seen[name] = seen.get(name, -1) + 1
            while len(batches) <= index:
                batches.append([])
            hashes = " ".join(f"--hash=sha256:{digest}" for digest in info["hashes"])
            batches[index].append(f"{spec} {hashes}")
        for wanted in batches:
            fetch(wanted, version)


def fetch(wanted: list[str], version: str) -> None:
    """pip download ``wanted`` (pins with their hashes) for Python ``version``."""
    if wanted:
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
            requirements.write("\n".join(wanted) + "\n")
            requirements.flush()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--require-hashes",
                    "--python-version",
                    full_version(version),
                    "--dest",
                    str(WHEELS),
                    "--requirement",
                    requirements.name,
                ],
                check=True,
            )


def full_version(version: str) -> str:
    """X.Y.Z of the installed Python X.Y: pins may need a later patch release than X.Y.0."""
    python = find_python(version)
    if python is None:
        sys.exit(f"error: Python {version} is not installed; every supported version is needed")
    query = "import platform; print(platform.python_version())"
    done = subprocess.run([python, "-c", query], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def wheel_for(spec: str) -> Path | None:
    name, version = spec.split("==")
    stem = f"{re.sub(r'[-_.]+', '_', name)}-{version}-"
    for wheel in sorted(WHEELS.glob("*.whl")):
        if wheel.name.lower().startswith(stem.lower()):
            return wheel
    return None


def installs(wheel: Path) -> dict[str, list[str]]:
    """Top-level import names and console scripts a wheel installs."""
    modules: set[str] = set()
    scripts: set[str] = set()
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            top, _, rest = member.partition("/")
            if top.endswith(".dist-info"):
                if rest == "entry_points.txt":
                    scripts.update(entry_point_scripts(archive.read(member).decode()))
                continue
            if top.endswith(".data"):
                kind, _, script = rest.partition("/")
                if kind == "scripts" and script and "/" not in script:
                    scripts.add(script)
                elif kind in {"purelib", "platlib"}:
                    modules.update(import_name(script, nested="/" in script))
                continue
            modules.update(import_name(member, nested=bool(rest)))
    return {"modules": sorted(modules), "scripts": sorted(scripts)}


def import_name(path: str, nested: bool) -> Iterable[str]:
    """The name ``import`` finds for a top-level entry of site-packages, if any."""
    top = path.split("/", 1)[0]
    if nested:
        candidate = top  # a package folder (regular or namespace)
    elif top.endswith((".py", ".pyc")):
        candidate = top.rsplit(".", 1)[0]
    elif top.endswith((".so", ".pyd")):
        candidate = top.split(".", 1)[0]  # _ruamel_yaml.cpython-311-x86_64-linux-gnu.so
    else:
        return []  # .pth files, licences, data
    return [candidate] if IDENTIFIER.fullmatch(candidate) else []


def entry_point_scripts(text: str) -> list[str]:
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return [
        name.strip()
        for section in ("console_scripts", "gui_scripts")
        if parser.has_section(section)
        for name in parser[section]
    ]


def refused(installed: dict[str, dict[str, list[str]]]) -> dict[str, str]:
    """{package_name that clashes: what with}, e.g. "pillow: module PIL"."""
    clashes: dict[str, dict[str, list[str]]] = {}

    def add(name: str, distribution: str, kind: str, spelled: str) -> None:
        if IDENTIFIER.fullmatch(name) and name == name.lower():
            # A command is always named: "pip-tools: command pip-compile".
            same = spelled.replace("-", "_") == name and kind != "command"
            what = kind if same else f"{kind} {spelled}"
            kinds = clashes.setdefault(name, {}).setdefault(distribution, [])
            if what not in kinds:
                kinds.append(what)

    for spec, found in installed.items():
        distribution = spec.split("==")[0]
        # The project is installed as the distribution and console script
        # package_name.replace("_", "-"): compare in pip's normalised form.
        add(canonical(distribution).replace("-", "_"), distribution, "distribution", distribution)
        for module in found["modules"]:
            # Lowercased too: on a case-insensitive disk src/pil and PIL collide.
            add(module.lower(), distribution, "module", module)
        for script in found["scripts"]:
            add(canonical(script).replace("-", "_"), distribution, "command", script)
    return {
        name: "; ".join(f"{dist}: {spoken(kinds)}" for dist, kinds in by_distribution.items())
        for name, by_distribution in sorted(clashes.items())
    }


def spoken(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def render(refusals: dict[str, str]) -> str:
    lines = [
        "{#- Generated by scripts/dependency_names.py from includes/locks; do not edit by",
        "    hand. `make relock` regenerates it. Each name a locked distribution installs",
        "    (module, command or distribution name) maps to what it would clash with. -#}",
        "{%- set DEPENDENCY_NAMES = {",
    ]
    lines += [f"  {json.dumps(name)}: {json.dumps(reason)}," for name, reason in refusals.items()]
    lines.append("} -%}")
    return "\n".join(lines) + "\n"


def collect() -> dict[str, object]:
    pinned = pins()
    WHEELS.mkdir(parents=True, exist_ok=True)
    download(pinned)
    installed: dict[str, dict[str, list[str]]] = {}
    for spec in pinned:
        wheel = wheel_for(spec)
        if wheel is None:
            sys.exit(f"error: no wheel of {spec} in {WHEELS}; pip download did not fetch one")
        installed[spec] = installs(wheel)
    return {"pins": installed, "refused": refused(installed)}


def main() -> None:
    data = collect()
    DATA.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    OUTPUT.write_text(render(data["refused"]))  # type: ignore[arg-type]
    print(f"wrote {DATA.relative_to(ROOT)} and {OUTPUT.relative_to(ROOT)}")
    print(f"{len(data['pins'])} pins, {len(data['refused'])} refused names")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
