"""The locks the template ships: hashed, clean, and consistent with their .in files."""

from __future__ import annotations

import re

import pytest
from packaging.utils import canonicalize_name

from conftest import TEMPLATE_ROOT, render
from interpreters import SUPPORTED_PYTHONS
from locks import parse_lock, requirements_in
from profiles import PROFILES

LOCKS = TEMPLATE_ROOT / "includes" / "locks"
LOCK_FILES = sorted(LOCKS.glob("*/*.txt"))


def test_a_lock_set_for_every_supported_python():
    assert sorted(p.name for p in LOCKS.iterdir()) == sorted(SUPPORTED_PYTHONS)
    for version in SUPPORTED_PYTHONS:
        names = sorted(p.name for p in (LOCKS / version).iterdir())
        assert names == ["base.txt", "dev-notebooks.txt", "dev.txt"], version


@pytest.mark.parametrize("lock", LOCK_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_entry_is_an_exact_pin_with_hashes(lock):
    text = lock.read_text()
    pins = parse_lock(lock)
    assert len(pins) > 10
    assert f"pip-compile with Python {lock.parent.name}\n" in text
    assert "#    make lock\n" in text
    # Nothing machine-specific or unpinned: pip-compile lists what it left
    # out under a WARNING, and index options carry hosts and credentials.
    for forbidden in (
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--trusted-host",
        "file://",
        "WARNING",
        "-e ",
    ):
        assert forbidden not in text, forbidden


@pytest.mark.parametrize("version", SUPPORTED_PYTHONS)
def test_variants_agree_on_shared_pins(version):
    base = parse_lock(LOCKS / version / "base.txt")
    dev = parse_lock(LOCKS / version / "dev.txt")
    notebooks = parse_lock(LOCKS / version / "dev-notebooks.txt")
    assert base.items() <= dev.items()
    # The notebook variant only adds: every other pin is the one dev.txt has,
    # so installing either proves the shared pins.
    assert dev.items() <= notebooks.items()


@pytest.mark.parametrize("use_notebooks", [False, True], ids=["dev", "dev-notebooks"])
@pytest.mark.parametrize("version", SUPPORTED_PYTHONS)
def test_locks_satisfy_the_rendered_in_files(copie, version, use_notebooks):
    project = render(copie, "default", python_version=version, use_notebooks=use_notebooks)
    environment = {
        "python_version": version,
        "python_full_version": f"{version}.0",
        "sys_platform": "linux",
        "platform_system": "Linux",
    }
    for name in ("base", "dev"):
        pins = parse_lock(project / "requirements" / f"{name}.txt")
        for requirement in requirements_in(project / "requirements" / f"{name}.in"):
            if requirement.marker and not requirement.marker.evaluate(environment):
                continue
            pin = pins.get(canonicalize_name(requirement.name))
            assert pin is not None, f"{name}.txt does not pin {requirement.name}"
            assert requirement.specifier.contains(pin.version, prereleases=True), (
                f"{name}.txt pins {requirement.name}=={pin.version}, outside {requirement}"
            )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("numpy>=2\n", "not an exact pin"),
        ("numpy==2.0.0\n", "not an exact pin"),
        (
            "numpy==2.0.0 \\\n    --hash=sha256:" + "a" * 64 + " \\\n    --index-url x\n",
            "not an exact pin",
        ),
        ("-e ./local\n", "the option -e is not allowed"),
    ],
)
def test_lock_parser_refuses_what_pip_would_not_verify(tmp_path, text, problem):
    lock = tmp_path / "bad.txt"
    lock.write_text(text)
    with pytest.raises(ValueError, match=problem):
        parse_lock(lock)


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_install_reads_a_lock_the_lock_check_covers(rendered, profile):
    """make install, the Dockerfile and CI install only from the locks lock-check checks,
    and each install path checks its lock's form before pip reads it."""
    project = rendered(profile)
    makefile = (project / "Makefile").read_text()
    checked = re.search(r"(?m)^LOCKS := (.*)$", makefile)[1].split()
    assert checked == ["requirements/base.txt", "requirements/dev.txt"]
    assert "$(CHECK_HASHES) $(LOCKS)" in makefile.split("\nlock-check:")[1].split("\n\n")[0]

    install = makefile.split("\n$(INSTALLED):")[1].split("\n\n")[0]
    assert re.findall(r"--requirement (\S+)", install) == ["requirements/dev.txt"]
    assert install.index("check_lock_hashes.py --offline requirements/dev.txt") < install.index(
        "--requirement requirements/dev.txt"
    )

    dockerfile = project / "Dockerfile"
    if dockerfile.exists():
        text = dockerfile.read_text()
        copied = re.findall(r"(?m)^COPY (requirements/\S+) (\S+)", text)
        assert copied == [("requirements/base.txt", "/tmp/requirements.txt")]
        assert re.findall(r"--requirement (\S+)", text) == ["/tmp/requirements.txt"]
        build = makefile.split("\ndocker-build:")[1].split("\n\n")[0]
        assert "check_lock_hashes.py --offline requirements/base.txt" in build

    # CI installs through `make install` alone.
    ci_files = [*project.glob(".github/workflows/*.yml"), *project.glob(".gitlab-ci.yml")]
    for path in ci_files:
        assert "pip install" not in path.read_text(), path.name
        assert "make install" in path.read_text(), path.name
