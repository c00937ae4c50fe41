"""copier.yml: every question is documented, defaults chain, bad answers are refused."""

from __future__ import annotations

import pytest
import yaml

from commands import TEMPLATE_ROOT, copier_cli


def fullwidth(text: str) -> str:
    """The text as an East Asian keyboard types it (U+FF01 to U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


CONTRACT_KEYS = {
    "project_name",
    "package_name",
    "project_description",
    "author_name",
    "author_email",
    "license",
    "python_version",
    "lock_backend",
    "ci_provider",
    "use_docker",
    "use_notebooks",
    "use_service",
}


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())


def questions(config: dict) -> dict[str, dict]:
    """Questions users are asked: not settings (_x), not computed (when: false)."""
    return {
        key: spec
        for key, spec in config.items()
        if not key.startswith("_") and spec.get("when") is not False
    }


def test_asked_questions_are_exactly_the_contract(config):
    assert set(questions(config)) == CONTRACT_KEYS


def test_every_question_has_type_and_help(config):
    for key, spec in questions(config).items():
        assert spec.get("type") in {"str", "bool"}, key
        assert len(spec.get("help", "")) > 15, key


def test_no_secret_questions_and_no_unsafe_features(config):
    assert not any(spec.get("secret") for key, spec in config.items() if not key.startswith("_"))
    for unsafe in ("_tasks", "_migrations", "_jinja_extensions", "_external_data"):
        assert unsafe not in config


def test_min_copier_version_has_the_sandbox_fixes(config):
    from packaging.version import Version

    assert Version(config["_min_copier_version"]) >= Version("9.17.2")


def test_computed_values_are_never_stored(rendered):
    stored = yaml.safe_load((rendered("default") / ".copier-answers.yml").read_text())
    assert set(stored) == CONTRACT_KEYS | {"_commit", "_src_path"}
    # Rendered from an absolute path (docs/maintaining.md), as users' updates need.
    assert stored["_src_path"] == str(TEMPLATE_ROOT)


@pytest.mark.parametrize(
    ("project_name", "package_name"),
    [
        ("Churn Model", "churn_model"),
        ("Sales-Forecast v2", "sales_forecast_v2"),
        ("NLP.Toolkit", "nlp_toolkit"),
        # Accents are dropped, in composed and decomposed spelling alike.
        ("Données clients", "donnees_clients"),
        ("Donne\u0301es clients", "donnees_clients"),
        ("Análisis de churn", "analisis_de_churn"),
        ("Straße & Œuvre", "strasse_oeuvre"),
        ("Łódź Ørsted Þing", "lodz_orsted_thing"),
        (fullwidth("Fullwidth 2"), "fullwidth_2"),
        # Letters of other scripts are kept in the name, not in the package.
        ("顧客分析 Churn", "churn"),
        ("Fiscal \ufb01nance \ufb03ce", "fiscal_finance_ffice"),
    ],
)
def test_package_name_defaults_from_project_name(copie, project_name, package_name):
    result = copie.copy(extra_answers={"project_name": project_name})
    assert result.exit_code == 0, result.exception
    assert result.answers["package_name"] == package_name
    assert (result.project_dir / "src" / package_name / "__init__.py").is_file()


@pytest.mark.parametrize(
    "project_name",
    [
        "Données clients",
        "Análisis de churn",
        "顧客分析",
        "ग्राहक विश्लेषण",
        "تحليل العملاء",
        "Анализ оттока",
        "การวิเคราะห์ลูกค้า",
        # Dhivehi, Syriac and Balinese: their vowel signs are combining marks.
        "ދިވެހި ތަހުލީލު",
        "ܐܬܘܪ ᬩᬮᬶ",
        "O'Brien, Smith & Co. (Risk): v2+!",
        "Churn: ¿qué pasa? ¡Sí! …",
    ],
)
def test_project_name_takes_any_script_and_title_punctuation(copie, project_name):
    result = copie.copy(extra_answers={"project_name": project_name, "package_name": "analysis"})
    assert result.exit_code == 0, result.exception
    readme = (result.project_dir / "README.md").read_text()
    assert readme.splitlines()[0].startswith("# ")


@pytest.mark.parametrize("project_name", ["顧客分析", "ग्राहक विश्लेषण", "2024"])
def test_no_default_package_name_when_nothing_ascii_is_left(tmp_path, project_name):
    """The default is empty, and --defaults stops on the rule that explains it."""
    destination = tmp_path / "project"
    done = copier_cli(
        "copy",
        "--vcs-ref",
        "HEAD",
        "--defaults",
        "--data",
        f"project_name={project_name}",
        str(TEMPLATE_ROOT),
        str(destination),
    )
    assert done.returncode != 0
    assert "package_name is required: the project name has no letters a-z" in done.stderr
    assert not destination.exists()


INVALID = [
    ("project_name", "", "project_name is required"),
    ("project_name", "   ", "project_name is required"),
    ("project_name", "-dash first", "must start with a letter or digit"),
    ("project_name", "_under first", "must start with a letter or digit"),
    ("project_name", 'Quote "me"', 'not "\\""'),
    ("project_name", "Churn <b>", 'not "\\u003c"'),
    ("project_name", "Churn\u202eledoM", 'direction-changing character "\\u202e"'),
    ("project_name", "Churn\u200bModel", 'invisible or direction-changing character "\\u200b"'),
    ("project_name", "Churn\u00a0Model", 'not "\\u00a0"'),
    ("project_name", "Churn 🚀", "may use letters and digits of any script"),
    ("project_name", "Churn Model ", "must not end with a space"),
    ("project_name", "x" * 81, "is 81 characters long; keep it to 80"),
    ("package_name", "class", "is a Python keyword"),
    ("package_name", "my-pkg", "is not a valid package name"),
    ("package_name", "1abc", "must start with a letter a-z, not a digit"),
    ("package_name", "_private", "is not a valid package name"),
    ("package_name", "churn_", "must end with a letter or digit"),
    ("package_name", "Pandas", "is not a valid package name"),
    ("package_name", "données", "is not a valid package name"),
    ("package_name", "a" * 41, "is 41 characters long; keep it to 40"),
    (
        "package_name",
        "3d_vision",
        'must start with a letter a-z, not a digit; type one, e.g. "vision_3d"',
    ),
    ("package_name", "typing__extensions", "hold no double underscore"),
    # Python's $ matches before a final line break: the rules end at \Z.
    ("package_name", "churn\n", "is not a valid package name"),
    ("package_name", "python\n", "is not a valid package name"),
    ("package_name", "git", "would shadow the git command"),
    ("package_name", "ab12cd34ef56", "reads as a hexadecimal string"),
    ("package_name", "python", "the venv's own python command"),
    ("package_name", "activate", "the venv's activate script"),
    ("package_name", "check_site", "would shadow itself in tools/check_site.py"),
    ("package_name", "test", "would shadow the standard-library module"),
    ("package_name", "sitecustomize", "would shadow the standard-library module"),
    ("package_name", "xxlimited", "would shadow the standard-library module"),
    # Shown escaped: a refusal never replays terminal control sequences.
    ("package_name", "x\x1b]0;owned\x07\x1b[2J", '"x\\u001b]0;owned\\u0007\\u001b[2J"'),
    ("package_name", "os", "would shadow the standard-library module"),
    ("package_name", "asyncore", "would shadow the standard-library module"),  # 3.11 only
    ("package_name", "sklearn", "(scikit-learn: module)"),
    ("package_name", "pydantic_settings", "(pydantic-settings: distribution and module)"),
    ("package_name", "pip_compile", "(pip-tools: command pip-compile)"),
    ("package_name", "scikit_learn", "(scikit-learn: distribution)"),
    ("package_name", "hardening", "would shadow the package tests/hardening"),
    ("package_name", "test_pipeline", "would shadow a test module"),
    ("package_name", "source_data", "would shadow the module tests/conftest.py imports"),
    ("project_description", "two\nlines", "must be one line"),
    ("project_description", 'say "hi"', "must be one line"),
    ("project_description", "say\u2066hi", "direction-changing character"),
    ("project_description", "x" * 201, "is 201 characters long; keep it to 200"),
    # Lone surrogates (undecodable command-line bytes) and invisible format
    # characters outside the usual bidi and zero-width ones.
    ("project_description", "Bad \udcff byte", 'character "\\udcff"'),
    ("author_name", "Jane\U0001d17aDoe", "invisible or direction-changing character"),
    ("author_email", "jane\U0001bca1@example.com", "invisible or direction-changing character"),
    ("project_description", "\u0600Churn", 'character "\\u0600"'),
    ("project_description", "Churn\u2800model", 'character "\\u2800"'),
    ("project_name", "Churn \U000e0041", "invisible or direction-changing character"),
    ("author_name", "", "author_name is required"),
    ("author_name", " Jane", "must not start or end with a space"),
    ("author_email", "jane.example.org", "is not an email address"),
    ("author_email", "jane@localhost", "is not an email address"),
    ("author_email", "a@b@c.org", "is not an email address"),
    ("author_email", "jane@example.org\u202e", "direction-changing character"),
    ("author_email", "<jane@example.org>", "is not an email address"),
    ("author_email", "j\u00f6@example.com", "is not an email address"),
    ("author_email", "a..b@example.com", "is not an email address"),
    ("author_email", ".a@example.com", "is not an email address"),
    ("author_email", "a@-example.com", "is not an email address"),
    ("author_email", "jane@example.org\n", "direction-changing character"),
    ("license", "GPL-3.0", "Invalid choice"),
    ("python_version", "3.10", "Invalid choice"),
    ("lock_backend", "poetry", "Invalid choice"),
    ("ci_provider", "jenkins", "Invalid choice"),
]


@pytest.mark.parametrize(("key", "value", "message"), INVALID, ids=lambda v: repr(v)[:30])
def test_invalid_answer_is_refused_and_nothing_is_written(copie, key, value, message):
    answers = {"project_name": "Churn Model", key: value}
    result = copie.copy(extra_answers=answers)
    assert result.exit_code != 0
    assert message in str(result.exception)
    output_dir = copie.test_dir / f"copie{copie.counter - 1:03d}"
    assert list(output_dir.iterdir()) == []


def test_cli_refusal_names_the_rule_and_creates_no_folder(tmp_path):
    destination = tmp_path / "project"
    done = copier_cli(
        "copy",
        "--vcs-ref",
        "HEAD",
        "--defaults",
        "--data",
        "project_name=Demo",
        "--data",
        "package_name=os",
        str(TEMPLATE_ROOT),
        str(destination),
    )
    assert done.returncode != 0
    assert "would shadow the standard-library module" in done.stderr
    assert not destination.exists()


def test_project_name_is_required_without_a_default(tmp_path):
    destination = tmp_path / "project"
    done = copier_cli(
        "copy", "--vcs-ref", "HEAD", "--defaults", str(TEMPLATE_ROOT), str(destination)
    )
    assert done.returncode != 0
    assert 'Question "project_name" is required' in done.stderr
    assert not destination.exists()
