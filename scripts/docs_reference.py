"""Write the reference pages from their sources, so they cannot drift.

questions.md from copier.yml, controls.md from controls.yml and ownership.md
from ownership.yml.

.venv/bin/python scripts/docs_reference.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "reference" / "questions.md"
CONTROLS_OUTPUT = ROOT / "docs" / "reference" / "controls.md"
OWNERSHIP_OUTPUT = ROOT / "docs" / "reference" / "ownership.md"

HEADER = """\
# Questions

Generated from `copier.yml` by `scripts/docs_reference.py`; a test fails when
this page and `copier.yml` disagree.

Every question has a default except `project_name`, so
`copier copy --defaults --data project_name="Churn Model" <template> <dest>`
renders a project. An answer that breaks a rule is refused with a message
naming the rule, and nothing is written.

| Key | Type | Default | Allowed | What it changes |
|---|---|---|---|---|
"""


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def default_of(spec: dict) -> str:
    if "default" not in spec:
        return "(required)"
    default = spec["default"]
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if "{{" in str(default):
        return "derived from `project_name`" if "project_name" in default else "computed"
    return f"`{default}`"


def allowed_of(spec: dict) -> str:
    choices = spec.get("choices")
    if isinstance(choices, dict):
        return ", ".join(f"`{value}` ({label})" for label, value in choices.items())
    if isinstance(choices, list):
        return ", ".join(f"`{value}`" for value in choices)
    if spec.get("type") == "bool":
        return "`true`, `false`"
    return "validated" if "validator" in spec else "any text"


RULES = """
## What the text answers may hold

- `project_name`: letters and digits of any script with their accents and
  combining marks (`Données clients`, `顧客分析`, `ग्राहक विश्लेषण`), spaces and
  the punctuation of a title: `' , & . - _ ( ) + : ! ?` and their typographic
  forms. It starts with a letter or digit and holds at most 80 characters.
  No text answer may hold a control, format (invisible or
  direction-changing), private-use, unassigned or surrogate character, a line
  or paragraph separator, or one that shows as nothing (fillers, variation
  selectors, the blank Braille pattern): the class is generated from the
  Unicode database (`includes/unicode_classes.jinja`).
- `package_name`: lowercase ASCII letters, digits and underscores, starting
  with a letter and ending with a letter or digit, no double underscore (pip
  and Docker read `a__b` as `a-b`), at most 40 characters. Its
  default is `project_name` lowercased with accents dropped (`donnees_clients`);
  when no letter a-z is left (`顧客分析`) there is no default, and the refusal
  says so. It may not be
    - a Python keyword or one of the {stdlib} standard-library modules of any
      supported Python (with `test`, `sitecustomize` and the other modules
      the standard library's folders hold);
    - any of the {dependencies} names the {pins} pinned distributions of the
      shipped locks install: their top-level modules, their commands (`pip_audit`
      would replace `pip-audit`) and their distribution names (`scikit_learn`
      would reinstall over scikit-learn). The list is generated from the wheels
      by `scripts/dependency_names.py` (`make relock` runs it), and a test fails
      when a lock changes without it;
    - `conftest`, `hardening`, `tests`, `tools` or `test_*`, which pytest or the
      project already import; a script name of `tools/` (`check_sql`,
      `keygen`, ...), which would import itself; `python`, `python3` or
      `activate`, which the project's command would overwrite in the venv;
      a command the project runs by name (`git`, `make`, `sh`, ...); or a
      hexadecimal string the project's secret scan would flag.
- `project_description` (200 characters) and `author_name` (100): one line, no
  double quotes, backslashes, tabs, controls or invisible characters.
- `author_email`: an ASCII dot-atom before one `@` (no leading, trailing or
  doubled dot, as package metadata requires) and a domain of labels with a
  dot.

Every rule matches the whole answer: a trailing line break cannot slip past
one. The year in the licence and the lock files a project starts from are
computed in the files that use them, so `--data` cannot set them.

The rules keep answers sensible; they are not what keeps files valid. Every
place an answer lands escapes it for its format (`includes/escape.jinja`):
quoted strings in TOML, YAML and JSON, Markdown that GitHub and MkDocs both
read as the plain text, HTML-escaped site names (MkDocs writes `site_name`
into pages unescaped), Dockerfile labels with `$` escaped, one-line comments.
`tests/test_answers.py` renders the template with its validators removed and
reads every answer back from each format.
"""


def render(config: dict) -> str:
    rows = [
        f"| `{key}` | {spec['type']} | {default_of(spec)} | {allowed_of(spec)} "
        f"| {cell(spec['help'])} |"
        for key, spec in config.items()
        if not key.startswith("_") and spec.get("when") is not False
    ]
    names = json.loads((ROOT / "includes" / "dependency_names.json").read_text())
    stdlib = re.findall(r'^  "\w+",$', (ROOT / "includes" / "python_names.jinja").read_text(), re.M)
    rules = RULES.format(
        stdlib=len(stdlib), dependencies=len(names["refused"]), pins=len(names["pins"])
    )
    return HEADER + "\n".join(rows) + "\n" + rules


CONTROLS_HEADER = """\
# Security controls

Generated from `controls.yml` by `scripts/docs_reference.py`; a test fails when
this page and `controls.yml` disagree, or when a test named here does not
exist. Tests marked *project* belong to the generated project's own suite
(`template/tests/`), which the template's tests run after a real
`make install`.

A control marked *only when* is in the projects whose answers make that
expression true (`use_docker`, `ci_provider == 'github'`), and in no other.
Every project's docs carry a threat model (`docs/threat-model.md`, built by
`make docs`) that answers each threat to the project with one of these ids
or with an accepted risk and its reason; it names exactly the controls its
project has, which `tests/test_docs.py` checks on every answer profile.

| ID | Requirement | Source | Checked by | Proved by |
|---|---|---|---|---|
"""


def test_reference(name: str) -> str:
    if name.startswith("project: "):
        return f"*project* `{name.removeprefix('project: ')}`"
    return f"`{name}`"


def render_controls(controls: dict) -> str:
    rows = []
    for control_id, control in controls.items():
        proof = "<br>".join(test_reference(name) for name in control["tests"])
        what = control["what"]
        if "when" in control:
            what = f"*Only when `{control['when']}`:* {what}"
        rows.append(
            f"| {control_id} | {cell(what)} | {cell(control['source'])} "
            f"| {cell(control['tool'])} | {proof} |"
        )
    return CONTROLS_HEADER + "\n".join(rows) + "\n"


OWNERSHIP_HEADER = """\
# File ownership

Generated from `ownership.yml` by `scripts/docs_reference.py`; a test fails
when a file a project is rendered with matches no row here or rows of two
classes, when a row matches no file, or when the owner-owned rows differ
from `_skip_if_exists` in `copier.yml`. `<package>` is the project's
`package_name`.

Files the template never renders are the owner's too, and no update touches
them: new modules and tests, data, and, on GitHub, workflow files of your own
under `.github/workflows/`. How to extend the template-owned files without
editing them: [the generated project](../generated-project.md#extension-points).
"""


def render_ownership(ownership: dict) -> str:
    parts = [OWNERSHIP_HEADER]
    for group in ownership.values():
        parts.append(f"\n## {group['title']}\n\n{group['update']}\n\n| Path | What |\n|---|---|\n")
        for row in group["files"]:
            path = row["path"].lstrip("/").replace("src/*/", "src/<package>/")
            parts.append(f"| `{path}` | {cell(row['what'])} |\n")
    return "".join(parts)


if __name__ == "__main__":
    OUTPUT.write_text(render(yaml.safe_load((ROOT / "copier.yml").read_text())))
    CONTROLS_OUTPUT.write_text(render_controls(yaml.safe_load((ROOT / "controls.yml").read_text())))
    OWNERSHIP_OUTPUT.write_text(
        render_ownership(yaml.safe_load((ROOT / "ownership.yml").read_text()))
    )
    for page in (OUTPUT, CONTROLS_OUTPUT, OWNERSHIP_OUTPUT):
        print(f"wrote {page.relative_to(ROOT)}")
