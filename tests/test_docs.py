"""Docs build strictly, generated pages are current, and the README's commands exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import jinja2
import yaml

import docs_reference
import durations
from commands import TEMPLATE_ROOT
from profiles import DEFAULTS, PROFILES, answer

BIN = Path(sys.executable).parent


PROJECT_TESTS = TEMPLATE_ROOT / "template" / "tests"


def test_site_builds_strictly(tmp_path):
    done = subprocess.run(
        [BIN / "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "reference" / "questions" / "index.html").is_file()


def test_questions_page_is_generated_from_copier_yml():
    config = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    expected = docs_reference.render(config)
    assert docs_reference.OUTPUT.read_text() == expected, "run scripts/docs_reference.py"


def test_readme_gives_the_two_commands_and_ci_runs_them():
    readme = (TEMPLATE_ROOT / "README.md").read_text()
    assert "make new DEST=../my-project" in readme
    assert re.search(r"^make test\b", readme, re.MULTILINE)
    makefile = (TEMPLATE_ROOT / "Makefile").read_text()
    assert re.search(r"^new:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)
    assert re.search(r"^make test$", (TEMPLATE_ROOT / ".ci/run").read_text(), re.MULTILINE)


def test_template_code_is_lint_clean():
    for command in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [BIN / "ruff", *command, "--no-cache", "tests", "scripts", "bench"],
            cwd=TEMPLATE_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout


def test_ownership_page_is_generated_from_ownership_yml():
    ownership = yaml.safe_load((TEMPLATE_ROOT / "ownership.yml").read_text())
    expected = docs_reference.render_ownership(ownership)
    assert docs_reference.OWNERSHIP_OUTPUT.read_text() == expected, "run scripts/docs_reference.py"


def test_controls_page_is_generated_and_every_named_test_exists():
    controls = yaml.safe_load((TEMPLATE_ROOT / "controls.yml").read_text())
    expected = docs_reference.render_controls(controls)
    assert docs_reference.CONTROLS_OUTPUT.read_text() == expected, "run scripts/docs_reference.py"
    for control_id, control in controls.items():
        assert control["tests"], control_id
        for name in control["tests"]:
            if name.startswith("project: "):
                file, test = name.removeprefix("project: ").split("::")
                # as is, rendered (.jinja), or under a conditional name
                [source] = [
                    path
                    for path in PROJECT_TESTS.rglob("*")
                    if re.sub(
                        r"\{%.*?%\}", "", path.relative_to(PROJECT_TESTS).as_posix()
                    ).removesuffix(".jinja")
                    == file
                ]
            else:
                file, test = name.split("::")
                source = TEMPLATE_ROOT / "tests" / file
            assert re.search(rf"^def {test}\(", source.read_text(), re.MULTILINE), (
                f"{control_id}: {name} does not exist"
            )


def test_ruff_knows_every_local_module():
    """isort's first-party list is the helpers and scripts that tests import by
    name (pytest.ini's pythonpath): a new helper missing from it sorts wrongly."""
    import tomllib

    config = tomllib.loads((TEMPLATE_ROOT / "ruff.toml").read_text())
    listed = set(config["lint"]["isort"]["known-local-folder"])
    local = {
        path.stem
        for folder in ("tests", "scripts")
        for path in (TEMPLATE_ROOT / folder).glob("*.py")
        if not path.stem.startswith("test_")
    }
    assert listed == local


# A word the README's `make audit` line gives for each gate `make audit` runs.
AUDIT_WORDS = {
    "audit-conflicts": "conflict markers",
    "audit-config": "stray settings files",
    "audit-code": "bandit",
    "audit-secrets": "detect-secrets",
    "audit-deps": "pip-audit",
    "lock-check": "lock check",
    "audit-notebooks": "notebook outputs",
    "audit-workflows": "zizmor",
    "audit-docker": "hadolint",
    "audit-safety": "safety",
}


def audit_gates(project: Path) -> list[str]:
    """The targets `make audit` runs in a rendered project, read from its Makefile."""
    [line] = re.findall(r"(?m)^audit: (.*?) ##", (project / "Makefile").read_text())
    return line.split()


def test_the_gates_page_and_the_readme_name_every_gate_of_make_audit(rendered):
    page = (TEMPLATE_ROOT / "docs" / "security-gates.md").read_text()
    table = page.split("## `make audit`", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"(?m)^\| `([\w-]+)` \|", table)
    every_gate = set()
    for profile in PROFILES:
        project = rendered(profile)
        gates = audit_gates(project)
        every_gate |= set(gates)
        [line] = re.findall(r"(?m)^make audit +# (.*)$", (project / "README.md").read_text())
        named = [
            gate
            for gate, word in AUDIT_WORDS.items()
            if word in line.split(", ")[0:] and word in line
        ]
        assert named == [gate for gate in AUDIT_WORDS if gate in gates], (profile, line)
    assert sorted(documented) == sorted(every_gate) == sorted(AUDIT_WORDS)


def test_the_test_time_table_lists_every_test_file():
    page = (TEMPLATE_ROOT / "docs" / "maintaining.md").read_text()
    section = page.split("## Test time", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"(?m)^\| `(test_\w+\.py)` \| \d+ \|$", section)
    assert sorted(listed) == sorted(
        path.name for path in (TEMPLATE_ROOT / "tests").glob("test_*.py")
    )


def test_durations_adds_each_files_setup_call_and_teardown(tmp_path, capsys):
    log = tmp_path / "ci.log"
    log.write_text(
        "12.50s call     tests/test_a.py::test_one[x]@group\n"
        "2.50s setup    tests/test_a.py::test_one[x]@group\n"
        "1.00s teardown tests/test_b.py::test_two\n"
        "0.40s call     tests/test_b.py::test_two\n"
        "===== 2 passed in 20.00s =====\n"
    )
    assert durations.per_file(log.read_text()) == {"test_a.py": 15.0, "test_b.py": 1.4}
    assert durations.main([str(log)]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("2 tests passed, pytest 20 s of wall time,\n16 s of test time")
    assert "| `test_a.py` | 15 |\n| `test_b.py` | 1 |" in shown


# A control id as controls.yml spells them (A4, P7). Written as a word of its
# own, so SHA-256, B608 or U+2028 are not read as one.
CONTROL_ID = re.compile(r"\b[A-Z][0-9]{1,2}\b")


def applies(control: dict, profile: str) -> bool:
    """Whether a control of controls.yml is in a project of this profile: its
    `when` (a Jinja expression over the answers, as copier.yml writes them)."""
    if "when" not in control:
        return True
    # StrictUndefined: a misspelt answer fails here instead of reading as false.
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    test = environment.compile_expression(control["when"], undefined_to_none=False)
    return bool(test(**{key: answer(profile, key) for key in DEFAULTS}))


def test_the_threat_model_names_exactly_the_controls_of_its_profile(rendered):
    """Each profile's docs/threat-model.md names every control that project has,
    none it lacks and no id controls.yml does not hold, and only make targets
    its Makefile has: a control added, dropped or made conditional cannot
    leave the page behind."""
    controls = yaml.safe_load((TEMPLATE_ROOT / "controls.yml").read_text())
    for profile in PROFILES:
        project = rendered(profile)
        page = (project / "docs" / "threat-model.md").read_text()
        named = set(CONTROL_ID.findall(page))
        expected = {key for key, control in controls.items() if applies(control, profile)}
        assert named == expected, (
            profile,
            f"named but not in this profile: {sorted(named - expected)}",
            f"in this profile but not named: {sorted(expected - named)}",
        )
        nav = yaml.safe_load((project / "mkdocs.yml").read_text())["nav"]
        assert {"Threat model": "threat-model.md"} in nav, profile
        makefile = (project / "Makefile").read_text()
        targets = set(re.findall(r"(?m)^([a-z][\w-]*):", makefile))
        unknown = set(re.findall(r"`make ([a-z][\w-]*)", page)) - targets
        assert not unknown, (profile, f"not a target of the Makefile: {sorted(unknown)}")
