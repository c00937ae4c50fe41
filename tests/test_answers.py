"""Every accepted answer makes a working project, and every answer lands escaped.

- Each locked distribution's modules and commands are refused as package_name,
  with nothing written (a sample from every lock through copier itself).
- With the validators removed, hostile text answers still render files that
  parse and read back as the answer: the escaping holds on its own.
- Answer sets drawn by hypothesis are either refused with a message naming the
  rule and nothing written, or render a project whose files parse, whose Python
  is ruff-clean, whose package imports under its name with its dependencies
  installed, and whose answers file reads back as given.
"""

from __future__ import annotations

import functools
import html
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import warnings
from collections.abc import Iterator
from email.headerregistry import Address
from pathlib import Path

import pytest
import yaml
from copier import run_copy
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from commands import IN_CI, TEMPLATE_ROOT, check, python_path, unavailable
from dependency_names import DATA as DEPENDENCY_DATA
from dependency_names import lock_files
from docker_support import buildkit_client, daemon_running
from interpreters import DEFAULT_PYTHON
from locks import parse_lock
from rendered_files import parse_structured_files, project_files, ruff_problems

CONFIG = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
QUESTIONS = {
    k: v for k, v in CONFIG.items() if not k.startswith("_") and v.get("when") is not False
}
REFUSED = json.loads(DEPENDENCY_DATA.read_text())["refused"]
UV = str(Path(sys.executable).with_name("uv"))


def render(template: Path | str, destination: Path, data: dict[str, object], **options) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DirtyLocalWarning: the working tree on purpose
        run_copy(
            str(template),
            destination,
            data=data,
            defaults=True,
            quiet=True,
            unsafe=False,
            **options,
        )


# Names from every lock, refused through copier itself --------------------------


# Names the other rules would accept: the locks are the only reason to refuse them.
VALID_OTHERWISE = re.compile(r"[a-z](?:[a-z0-9]|_(?!_))*[a-z0-9]")
STDLIB = set(
    re.findall(r'"(\w+)"', (TEMPLATE_ROOT / "includes" / "python_names.jinja").read_text())
)


@functools.cache
def validator(macro: str):
    """A validator macro of includes/validators.jinja, compiled once, run the way
    copier runs it: its sandboxed Jinja with the same filter extension."""
    from jinja2 import FileSystemLoader
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATE_ROOT),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    )
    return env.from_string(
        f"{{% from 'includes/validators.jinja' import {macro} as check %}}{{{{ check(*args) }}}}"
    )


def validator_message(macro: str, *args: object) -> str:
    return validator(macro).render(args=args)


def test_every_name_any_lock_installs_is_refused():
    """All of them, in-process: the macro copier runs, fed every generated name."""
    assert len(REFUSED) > 200
    for name, clash in REFUSED.items():
        message = validator_message("package_name", name)
        assert message, name
        if VALID_OTHERWISE.fullmatch(name) and name not in STDLIB:
            assert message == (
                f'package_name "{name}" would shadow or replace a locked dependency '
                f"({clash}); choose another name."
            )
    assert validator_message("package_name", "churn_model") == ""


def test_every_script_of_tools_and_every_venv_command_is_refused():
    """tools/x.py runs with tools/ first on the path: a package named x would be the
    script itself there. python, python3 and activate are the venv's own files."""
    scripts = {
        re.sub(r"\{%.*?%\}", "", path.name).removesuffix(".jinja").removesuffix(".py")
        for path in (TEMPLATE_ROOT / "template" / "tools").iterdir()
        if ".py" in path.name
    }
    assert {"check_sql", "check_site", "check_notebooks", "keygen"} <= scripts
    for name in [*sorted(scripts), "python", "python3", "activate"]:
        assert validator_message("package_name", name), name


def lock_samples() -> list[tuple[str, str]]:
    """Three modules or commands of each shipped lock, chosen by the lock's name
    (stable from run to run), plus the ones users reach for first."""
    samples = []
    for lock in lock_files():
        installed = json.loads(DEPENDENCY_DATA.read_text())["pins"]
        names = sorted(
            {
                name
                for dist, pin in parse_lock(lock).items()
                for name in REFUSED
                if f"{dist}: " in REFUSED[name]
                and f"{dist}=={pin.version}" in installed
                and VALID_OTHERWISE.fullmatch(name)
                and name not in STDLIB
            }
        )
        chosen = random.Random(str(lock.relative_to(TEMPLATE_ROOT))).sample(
            names, min(3, len(names))
        )
        samples += [
            (str(lock.relative_to(TEMPLATE_ROOT / "includes" / "locks")), n) for n in chosen
        ]
    return samples


@pytest.mark.parametrize(("lock", "name"), lock_samples(), ids=lambda value: value)
def test_a_locked_name_is_refused_and_nothing_is_written(tmp_path, lock, name):
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match="would shadow or replace a locked dependency") as refused:
        render(
            TEMPLATE_ROOT,
            destination,
            {"project_name": "Churn Model", "package_name": name},
            vcs_ref="HEAD",
        )
    assert f'package_name "{name}"' in str(refused.value)
    assert not destination.exists()


# Escaping without the validators --------------------------------------------------

# Every answer that lands in a file, made of what breaks each format: quotes,
# backslashes, a line break, a control and a line separator, Markdown, HTML, a
# Docker build variable, a Make continuation and a YAML comment.
HOSTILE_TEXT = (
    'Q "uote" \\back $HOME ${PATH} `tick` <b>bold</b> &amp; R&D # not a comment'
    " 1. | ~x~ *em* _u_ [link](x) {{ raw }}\nline\x01two\u2028three \u00e9\u4e2d\\"
)
HOSTILE = {
    "project_name": "1. " + HOSTILE_TEXT,
    "project_description": "\u2028!!! danger fixed-top - " + HOSTILE_TEXT,
    "author_name": "> " + HOSTILE_TEXT,
    "author_email": 'j"a\\ne@exa$mple.org',
}


def one_line(text: str) -> str:
    """What an answer reads as where only one line fits (Markdown, comments, labels)."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]", " ", text)


@pytest.fixture(scope="module")
def unvalidated_template(tmp_path_factory) -> Path:
    """The template with every validator removed."""
    template = tmp_path_factory.mktemp("unvalidated") / "template"
    shutil.copytree(
        TEMPLATE_ROOT,
        template,
        ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "site", "__pycache__"),
    )
    config = yaml.safe_load((template / "copier.yml").read_text())
    removed = [
        key
        for key, spec in config.items()
        if isinstance(spec, dict) and spec.pop("validator", None)
    ]
    assert {"project_name", "package_name", "project_description", "author_name"} <= set(removed)
    (template / "copier.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return template


@pytest.fixture(scope="module")
def unvalidated_project(unvalidated_template) -> Path:
    """The unvalidated template rendered with HOSTILE answers."""
    project = unvalidated_template.parent / "project"
    render(unvalidated_template, project, {**HOSTILE, "package_name": "churn_model"})
    return project


def markdown_readings(source: str) -> list[list[str]]:
    """The text of each block as GitHub (CommonMark) shows it, and as MkDocs
    (Python-Markdown) does: one list of blocks per renderer."""
    import markdown
    from markdown_it import MarkdownIt

    def text_of(rendered: str) -> list[str]:
        blocks = re.findall(r"<(h1|p|li)(?: [^>]*)?>(.*?)</\1>", rendered, flags=re.S)
        return [html.unescape(re.sub(r"<[^>]+>", "", body)) for _, body in blocks]

    return [
        text_of(MarkdownIt("commonmark").render(source)),
        text_of(markdown.markdown(source, extensions=["tables", "toc"])),
    ]


def test_unvalidated_answers_still_parse_in_toml_yaml_and_answers_file(unvalidated_project):
    project = unvalidated_project
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == HOSTILE["project_description"]
    assert metadata["authors"] == [
        {"name": HOSTILE["author_name"], "email": HOSTILE["author_email"]}
    ]
    site = yaml.safe_load((project / "mkdocs.yml").read_text())
    # MkDocs writes site_name into HTML unescaped: the file holds it HTML-escaped.
    assert html.unescape(site["site_name"]) == HOSTILE["project_name"]
    assert html.unescape(site["site_description"]) == HOSTILE["project_description"]
    stored = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert {key: stored[key] for key in HOSTILE} == HOSTILE
    assert parse_structured_files(project) >= 6


def test_unvalidated_answers_read_back_from_markdown(unvalidated_project):
    project = unvalidated_project
    # A paragraph cannot start or end with blanks: Markdown reads the rest.
    name = one_line(HOSTILE["project_name"]).strip()
    description = one_line(HOSTILE["project_description"]).strip()
    for blocks in markdown_readings((project / "README.md").read_text()):
        assert blocks[:2] == [name, description]
    for blocks in markdown_readings((project / "docs" / "index.md").read_text()):
        assert blocks[:2] == ["About this project", f"{name}: {description}"]
    for blocks in markdown_readings((project / "CHANGELOG.md").read_text()):
        assert any(name in text for text in blocks)
    for blocks in markdown_readings((project / "SECURITY.md").read_text()):
        assert any(name in text for text in blocks)
        assert any(one_line(HOSTILE["author_email"]) in text for text in blocks)


def test_unvalidated_answers_stay_in_their_comments_and_licence(unvalidated_project, gnu_make):
    project = unvalidated_project
    for name in ("Makefile", ".env.example", "Dockerfile"):
        first = (project / name).read_text().splitlines()[:2]
        assert (
            first[0].startswith("# ") and one_line(HOSTILE["project_name"]).rstrip("\\") in first[0]
        )
    for line in (project / ".env.example").read_text().splitlines():
        assert line == "" or line.startswith("#") or re.fullmatch(r"[A-Z_]+=.*", line), line
    # make reads the whole Makefile: a comment that swallowed the next line, or
    # a line break that escaped the comment, would change or break the targets.
    listed = check(
        subprocess.run([gnu_make, "-C", str(project), "help"], capture_output=True, text=True)
    )
    assert "install" in listed and "Makefile:" not in listed
    licence = (project / "LICENSE").read_text()
    assert "Copyright (c) " in licence and one_line(HOSTILE["author_name"]) in licence


def test_no_answer_makes_the_dockerfile_start_with_a_parser_directive(
    unvalidated_template, tmp_path
):
    """`# syntax=` on a Dockerfile's first line picks the image that parses it."""
    project = tmp_path / "project"
    name = "syntax=docker.io/attacker/frontend"
    render(unvalidated_template, project, {"project_name": name, "package_name": "churn_model"})
    first = (project / "Dockerfile").read_text().splitlines()[0]
    assert name in first
    assert not re.match(r"#\s*[A-Za-z][A-Za-z0-9]*\s*=", first), first


def test_unvalidated_answers_read_back_from_the_images_labels(unvalidated_project, tmp_path):
    """Docker itself parses the LABEL instruction the Dockerfile carries."""
    client = buildkit_client()
    if client is None or not daemon_running(client):
        unavailable("no Docker daemon with BuildKit to parse the Dockerfile's labels")
    dockerfile = (unvalidated_project / "Dockerfile").read_text()
    label = re.search(r"^LABEL .*?[^\\]\n", dockerfile, flags=re.S | re.M)
    assert label is not None
    (tmp_path / "Dockerfile").write_text("FROM scratch\n" + label.group(0))
    tag = f"answers-labels:{os.getpid()}"
    check(
        subprocess.run(
            [client, "build", "--quiet", "--tag", tag, str(tmp_path)],
            capture_output=True,
            text=True,
        )
    )
    try:
        inspected = check(
            subprocess.run(
                [client, "image", "inspect", "--format", "{{json .Config.Labels}}", tag],
                capture_output=True,
                text=True,
            )
        )
    finally:
        subprocess.run([client, "image", "rm", "--force", tag], capture_output=True, check=False)
    labels = json.loads(inspected)
    assert labels["org.opencontainers.image.description"] == one_line(
        HOSTILE["project_description"]
    )
    assert labels["org.opencontainers.image.authors"] == one_line(
        f"{HOSTILE['author_name']} <{HOSTILE['author_email']}>"
    )


# Fuzzing every question ----------------------------------------------------------

# Names people write, in many scripts and with a title's punctuation.
TITLES = [
    "Churn Model",
    "Données clients",
    "Análisis de churn",
    "顧客分析",
    "ग्राहक विश्लेषण",
    "تحليل العملاء",
    "Анализ оттока",
    "O'Brien & Sons: Risk (v2)!",
    "Straße 5",
    "2024",
    "x" * 80,
]
# Names package_name must refuse, from every list it checks.
REFUSED_PACKAGES = [
    "class",
    "os",
    "asyncore",
    "pytest",
    "pydantic_settings",
    "pip_compile",
    "hardening",
    "test_x",
    "tests",
]
CHOICES = {
    key: list(spec["choices"].values())
    if isinstance(spec.get("choices"), dict)
    else spec.get("choices")
    for key, spec in QUESTIONS.items()
}

# Most drawn answers are ones a person could type, so most answer sets render;
# the rest (any character at all, a choice that is not offered) are refused.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=90)
title_text = st.builds(
    lambda first, rest: (first + rest).rstrip(),
    st.characters(categories=("L", "Nd")),
    st.text(
        st.one_of(
            st.characters(categories=("L", "N", "Mn", "Mc")), st.sampled_from(" ',&.-()+:!?")
        ),
        max_size=79,
    ),
)
plain_text = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=120).map(
    str.strip
)


def usually(valid: st.SearchStrategy[object], other: st.SearchStrategy[object]):
    """``valid`` in about four draws of five, ``other`` in the fifth."""
    return st.one_of(valid, valid, valid, valid, other)


def choice(key: str) -> st.SearchStrategy[object]:
    return st.sampled_from([*CHOICES[key] * 8, "not-a-choice"])


answer_sets = st.fixed_dictionaries(
    {
        "project_name": usually(
            st.one_of(
                st.sampled_from(TITLES),
                title_text,
                st.from_regex(r"[A-Za-z][A-Za-z0-9 ',&.()+:!?-]{0,78}[A-Za-z0-9]", fullmatch=True),
            ),
            any_text,
        ),
        "python_version": choice("python_version"),
        "license": choice("license"),
        "lock_backend": choice("lock_backend"),
        "ci_provider": choice("ci_provider"),
        "use_docker": st.booleans(),
        "use_notebooks": st.booleans(),
        "use_service": st.booleans(),
    },
    optional={
        "package_name": usually(
            st.from_regex(r"[a-z][a-z0-9_]{0,38}[a-z0-9]", fullmatch=True),
            st.one_of(st.sampled_from(REFUSED_PACKAGES), any_text),
        ),
        "project_description": usually(plain_text, any_text),
        "author_name": usually(st.one_of(st.sampled_from(TITLES), plain_text), any_text),
        "author_email": usually(st.emails(), any_text),
    },
)

# What refusals say: the templates' validators, then copier's own for choices.
REFUSAL = re.compile(
    r"(?:Validation error for question|Invalid choice for) '(?P<key>\w+)': (?P<rule>.+)", re.S
)


# Runs in the runtime venv: imports the heavy dependencies once, then for each
# project forks a child that imports the project's package from its src/. A
# package whose name clashes with anything already imported resolves to that
# module instead of src/, which the __file__ check catches.
IMPORT_SERVER = """
import importlib, json, os, pathlib, sys, traceback
import matplotlib, pandas, pandera, pydantic_settings, skops.io, sklearn, sqlalchemy
for line in sys.stdin:
    request = json.loads(line)
    child = os.fork()
    if child == 0:
        try:
            os.chdir(request["project"])
            src = pathlib.Path(request["project"], "src").resolve()
            sys.path.insert(0, str(src))
            name = request["package"]
            for module in (name, name + ".config", name + ".pipeline", name + ".__main__"):
                loaded = importlib.import_module(module)
                where = pathlib.Path(loaded.__file__).resolve()
                assert where.is_relative_to(src), f"{module} is {where}"
            print(json.dumps({"error": ""}), flush=True)
        except BaseException:
            print(json.dumps({"error": traceback.format_exc()}), flush=True)
        finally:
            os._exit(0)
    os.waitpid(child, 0)
"""


class Importer:
    """Imports a rendered project's package in the runtime venv, dependencies warm."""

    def __init__(self, python: str) -> None:
        self.server = subprocess.Popen(
            [python, "-c", IMPORT_SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "MPLBACKEND": "Agg"},
        )

    def error(self, project: Path, package: str) -> str:
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write(json.dumps({"project": str(project), "package": package}) + "\n")
        self.server.stdin.flush()
        reply = self.server.stdout.readline()
        assert reply, "the import server stopped"
        return json.loads(reply)["error"]

    def close(self) -> None:
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.close()
        self.server.wait(timeout=60)
        self.server.stdout.close()


@pytest.fixture(scope="session")
def importer(tmp_path_factory) -> Iterator[Importer]:
    """A venv of the default Python with the service's runtime lock installed, hash-checked,
    serving imports: a drawn package must import its own modules, unshadowed."""
    venv = tmp_path_factory.mktemp("runtime") / "venv"
    python = str(venv / "bin" / "python")
    # The service's runtime lock: the plain one and the service's libraries
    # (test_locks proves the one holds the other), so both kinds import.
    lock = TEMPLATE_ROOT / "includes" / "locks" / DEFAULT_PYTHON / "base-service.txt"
    for command in (
        [UV, "venv", "--quiet", "--python", python_path(DEFAULT_PYTHON), str(venv)],
        [UV, "pip", "sync", "--quiet", "--require-hashes", "--python", python, str(lock)],
    ):
        check(subprocess.run(command, capture_output=True, text=True))
    served = Importer(python)
    yield served
    served.close()


def check_project(project: Path, answers: dict[str, object], importer: Importer) -> None:
    stored = yaml.safe_load((project / ".copier-answers.yml").read_text())
    for key, value in answers.items():
        assert stored[key] == value, key
    assert parse_structured_files(project) >= 5
    for path in project_files(project):
        text = path.read_text()
        assert path.name == ".gitkeep" or text.endswith("\n"), path
        assert not re.search(r"[ \t]+\n", text), path
    assert ruff_problems(project) == ""
    # The package's metadata builds: hatchling reads each author as an email
    # address with the standard library's parser, which refuses what pip would.
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    for author in metadata["authors"]:
        Address(display_name=author["name"], addr_spec=author["email"])
    assert importer.error(project, stored["package_name"]) == ""


@pytest.mark.parametrize("package", ["pydantic_settings", "sklearn", "sqlalchemy", "dateutil"])
def test_the_import_check_finds_a_package_that_shadows(
    unvalidated_template, tmp_path, importer, package
):
    """What the fuzzing relies on: without the validator, these runtime names
    render and the import check fails them (the package is not the project's,
    or a dependency breaks). Names only the dev tools or pytest use are not
    imported here; the generated list and the static test cover those."""
    project = tmp_path / "project"
    render(unvalidated_template, project, {"project_name": "Churn Model", "package_name": package})
    assert importer.error(project, package) != ""
    assert importer.error(project, package) != ""  # and the server answers again


@settings(
    max_examples=int(os.environ.get("ANSWER_EXAMPLES", "45")),
    deadline=None,
    derandomize=IN_CI,
    database=None
    if IN_CI
    else DirectoryBasedExampleDatabase(TEMPLATE_ROOT / ".cache" / "hypothesis"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
@given(answers=answer_sets)
# Failures found while this test was written, kept as regressions.
@example(
    answers={
        "project_name": "顧客分析",
        "python_version": "3.11",
        "license": "MIT",
        "lock_backend": "pip-tools",
        "ci_provider": "github",
        "use_docker": True,
        "use_notebooks": True,
    }
)
@example(
    answers={
        "project_name": "3D Vision",
        "python_version": "3.13",
        "license": "MIT",
        "lock_backend": "uv",
        "ci_provider": "none",
        "use_docker": False,
        "use_notebooks": False,
    }
)
@example(
    answers={
        "project_name": "x" * 80,
        "package_name": "a" * 40,
        "python_version": "3.12",
        "license": "Apache-2.0",
        "lock_backend": "uv",
        "ci_provider": "gitlab",
        "use_docker": True,
        "use_notebooks": True,
        "project_description": "y" * 200,
        "author_name": "z" * 100,
    }
)
def test_every_answer_set_is_refused_cleanly_or_renders_a_working_project(answers, importer):
    with tempfile.TemporaryDirectory(prefix="answers-") as tmp:
        destination = Path(tmp) / "project"
        try:
            render(TEMPLATE_ROOT, destination, answers, vcs_ref="HEAD")
        except ValueError as error:
            refusal = REFUSAL.fullmatch(str(error))
            assert refusal is not None, f"not a rule: {error}"
            assert refusal["key"] in answers or refusal["key"] == "package_name"
            rule = refusal["rule"]
            assert rule.startswith(refusal["key"]) or "is not in [" in rule, rule
            assert not destination.exists() or not any(destination.iterdir())
            event(f"refused: {refusal['key']}")
            return
        event("rendered")
        check_project(destination, answers, importer)
