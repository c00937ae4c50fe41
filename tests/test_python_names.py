"""The names package_name refuses are current for every supported Python."""

from __future__ import annotations

import sys

from conftest import TEMPLATE_ROOT, python_path
from interpreters import SUPPORTED_PYTHONS

sys.path.insert(0, str(TEMPLATE_ROOT / "scripts"))

import python_names


def test_generated_list_matches_every_supported_interpreter():
    for version in SUPPORTED_PYTHONS:
        python_path(version)  # fails in CI, skips elsewhere, when one is missing
    expected = python_names.render(python_names.stdlib_names())
    assert python_names.OUTPUT.read_text() == expected, "run scripts/python_names.py"
