"""The names package_name refuses are current: every supported Python's stdlib
and everything the shipped locks install."""

from __future__ import annotations

import json
import re

import dependency_names
import python_names
from commands import python_path
from interpreters import SUPPORTED_PYTHONS


def test_generated_list_matches_every_supported_interpreter():
    for version in SUPPORTED_PYTHONS:
        python_path(version)  # fails in CI, skips elsewhere, when one is missing
    expected = python_names.render(python_names.stdlib_names())
    assert python_names.OUTPUT.read_text() == expected, "run scripts/python_names.py"


def test_ascii_fold_table_is_current():
    expected = python_names.render_fold(python_names.ascii_fold())
    assert python_names.FOLD_OUTPUT.read_text() == expected, "run scripts/python_names.py"


def test_dependency_names_were_read_from_exactly_the_shipped_locks():
    """A lock that gains, drops or moves a pin must be followed by `make relock`'s
    regeneration: the recorded pins are compared with the locks, not trusted."""
    recorded = json.loads(dependency_names.DATA.read_text())
    locked = dependency_names.pins()
    assert sorted(recorded["pins"]) == sorted(locked), "run scripts/dependency_names.py"
    assert recorded["refused"] == dependency_names.refused(recorded["pins"])
    assert dependency_names.OUTPUT.read_text() == dependency_names.render(recorded["refused"])


def test_every_module_and_command_a_pin_installs_is_refused():
    recorded = json.loads(dependency_names.DATA.read_text())
    refused = recorded["refused"]
    for spec, found in recorded["pins"].items():
        distribution = spec.split("==")[0]
        assert distribution.replace("-", "_").replace(".", "_") in refused, spec
        for module in found["modules"]:
            assert module.lower() in refused, (spec, module)
        for script in found["scripts"]:
            name = dependency_names.canonical(script).replace("-", "_")
            assert name in refused or not name.isidentifier(), (spec, script)
    # What the issue that led here tried, and the names every lock shares.
    for name in ("pydantic_settings", "pydantic", "dotenv", "pytest", "typing_extensions"):
        assert name in refused, name
    assert refused["pip_compile"] == "pip-tools: command pip-compile"
    assert "pillow: module PIL" in refused["pil"]


def test_wheel_reader_finds_modules_scripts_and_data_scripts(tmp_path):
    """The reader behind the list, on a wheel built here with every layout it meets."""
    import zipfile

    wheel = tmp_path / "demo_dist-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo_pkg/__init__.py", "")
        archive.writestr("demo_pkg/sub/__init__.py", "")
        archive.writestr("single_module.py", "")
        archive.writestr("_speedups.cpython-311-x86_64-linux-gnu.so", "")
        archive.writestr("namespace_only/part/__init__.py", "")
        archive.writestr("demo_dist.libs/libfoo.so", "")
        archive.writestr("demo.pth", "import os")
        archive.writestr("demo_dist-1.0.data/scripts/binary-tool", "")
        archive.writestr("demo_dist-1.0.data/purelib/from_data/__init__.py", "")
        archive.writestr(
            "demo_dist-1.0.dist-info/entry_points.txt",
            "[console_scripts]\ndemo-cli = demo_pkg:main\n[gui_scripts]\ndemo-gui = demo_pkg:g\n"
            "[demo.plugins]\nnot-a-script = demo_pkg:p\n",
        )
        archive.writestr("demo_dist-1.0.dist-info/RECORD", "")
    found = dependency_names.installs(wheel)
    assert found["modules"] == [
        "_speedups",
        "demo_pkg",
        "from_data",
        "namespace_only",
        "single_module",
    ]
    assert found["scripts"] == ["binary-tool", "demo-cli", "demo-gui"]
    refused = dependency_names.refused({"Demo.Dist==1.0": found})
    assert set(refused) == {
        "_speedups",
        "binary_tool",
        "demo_cli",
        "demo_dist",
        "demo_gui",
        "demo_pkg",
        "from_data",
        "namespace_only",
        "single_module",
    }
    assert refused["demo_cli"] == "Demo.Dist: command demo-cli"
    assert refused["demo_pkg"] == "Demo.Dist: module"


def test_unicode_classes_are_current():
    expected = python_names.render_classes(python_names.unicode_classes())
    assert python_names.CLASSES_OUTPUT.read_text() == expected, "run scripts/python_names.py"


def test_every_module_in_a_stdlib_folder_is_refused():
    """sys.stdlib_module_names leaves out the test suite, CPython's example
    extensions and site's sitecustomize; the standard library's folders come
    before src/ on the path, so each of them would shadow the package."""
    for version in SUPPORTED_PYTHONS:
        python_path(version)
    listed = set(python_names.stdlib_names())
    candidates = {
        name
        for name in python_names.stdlib_folder_modules()
        if re.fullmatch(r"[a-z][a-z0-9_]*[a-z0-9]", name)
    }
    assert sorted(candidates - listed) == [], "add them to EXTRA_STDLIB in scripts/python_names.py"
