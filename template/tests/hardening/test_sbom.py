"""`make sbom` describes exactly the hash-locked pins, in valid CycloneDX."""

import copy
import json
import os
import re
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .workers import taking_turns

ROOT = Path(__file__).resolve().parents[2]
# Each document and the lock it describes.
DOCUMENTS = {"runtime.cdx.json": "base.txt", "dev.cdx.json": "dev.txt"}
if (ROOT / "requirements" / "uv.in").exists():
    DOCUMENTS["uv.cdx.json"] = "uv.txt"


def pins_of_lock(tools, lock: Path) -> dict[str, tuple[str, frozenset[str]]]:
    entries = tools("check_lock_hashes").read_lock(lock)
    return {entry.name: (entry.version, entry.hashes) for entry in entries}


def pins_of_sbom(document: dict) -> dict[str, tuple[str, frozenset[str]]]:
    """Name -> (version, SHA-256 hashes) of every component; a name listed twice fails."""
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    for component in document["components"]:
        name = re.sub(r"[-_.]+", "-", component["name"]).lower()  # as the lock check names it
        assert name not in pins, f"{name} is listed twice"
        # The purl spec lowercases a PyPI name and reads "_" as "-"; dots stay.
        purl_name = component["name"].lower().replace("_", "-")
        purl = f"pkg:pypi/{purl_name}@{component['version']}"
        assert component["purl"] == purl, f"{name}: its purl names another version"
        hashes = frozenset(
            digest["content"]
            for reference in component.get("externalReferences", [])
            for digest in reference.get("hashes", [])
            if digest["alg"] == "SHA-256"
        )
        pins[name] = (component["version"], hashes)
    return pins


NO_CHECK = "SBOM_VALIDATE=--no-validate"


def schema_problems(document: dict) -> object:
    """What CycloneDX 1.6's schema finds wrong with ``document`` (None when valid)."""
    # Imported here: building the schema's parsers takes seconds, which every
    # worker of `make test` would otherwise pay to collect this module.
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))


@pytest.fixture(scope="module")
def sboms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    # Made once for every worker of the run: `make sbom` takes seconds.
    with taking_turns(tmp_path_factory, "sbom") as shared:
        folder = shared / "sbom"
        if not folder.is_dir():
            # Without the tool's own schema check, which takes seconds on the
            # dev lock: the tests below check the documents, and the template's
            # tests run `make sbom` as it is, check included.
            done = subprocess.run(
                ["make", "--no-print-directory", "sbom", f"SBOM_DIR={folder}.new", NO_CHECK],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            Path(f"{folder}.new").rename(folder)
    assert sorted(path.name for path in folder.iterdir()) == sorted(DOCUMENTS)
    return {name: json.loads((folder / name).read_text()) for name in DOCUMENTS}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_document_lists_exactly_the_pins_of_its_lock(sboms, tools, name):
    expected = pins_of_lock(tools, ROOT / "requirements" / DOCUMENTS[name])
    assert pins_of_sbom(sboms[name]) == expected


def test_the_documents_are_valid_cyclonedx_1_6(sboms):
    for name, document in sboms.items():
        assert (document["bomFormat"], document["specVersion"]) == ("CycloneDX", "1.6"), name
    # The image's; `make sbom` checks every document as it writes it.
    assert schema_problems(sboms["runtime.cdx.json"]) is None


def test_the_documents_describe_this_project_and_are_reproducible(sboms):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for name, document in sboms.items():
        component = document["metadata"]["component"]
        assert (component["name"], component["version"]) == (project["name"], project["version"])
        assert component["type"] == "application"
        # No random serial number, and no time unless SOURCE_DATE_EPOCH sets
        # it: the same lock gives the same bytes.
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch is None:
            assert "timestamp" not in document["metadata"], name
        else:
            stamp = datetime.fromtimestamp(int(epoch), UTC)
            assert datetime.fromisoformat(document["metadata"]["timestamp"]) == stamp, name
        assert "serialNumber" not in document, name


def test_a_missing_changed_or_added_pin_is_told_apart(sboms, tools):
    """The comparison above is strict: each kind of drift between lock and SBOM shows."""
    expected = pins_of_lock(tools, ROOT / "requirements" / "base.txt")
    document = sboms["runtime.cdx.json"]

    dropped = copy.deepcopy(document)
    dropped["components"].pop()
    assert pins_of_sbom(dropped) != expected

    rehashed = copy.deepcopy(document)
    digest = rehashed["components"][0]["externalReferences"][0]["hashes"][0]
    digest["content"] = "0" * 64
    assert pins_of_sbom(rehashed) != expected

    bumped = copy.deepcopy(document)
    bumped["components"][0]["version"] += ".1"
    bumped["components"][0]["purl"] += ".1"
    assert pins_of_sbom(bumped) != expected
    bumped["components"][0]["purl"] = document["components"][0]["purl"]
    with pytest.raises(AssertionError, match="purl names another version"):
        pins_of_sbom(bumped)

    added = copy.deepcopy(document)
    added["components"].append(copy.deepcopy(added["components"][0]))
    with pytest.raises(AssertionError, match="listed twice"):
        pins_of_sbom(added)

    invalid = copy.deepcopy(document)
    invalid["components"][0]["type"] = "not-a-type"
    assert schema_problems(invalid) is not None
