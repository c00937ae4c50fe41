"""Bring your own data: the swap the generated docs page describes, done with the page's own code.

A project is made by the copier CLI from a throwaway release of the working
tree (OLD) and installed once (uv backend). For each worked example of its
`docs/bring-your-own-data.md`, the test makes a data set of that shape (a
churn CSV file with text categories, gaps and a yes/no target named
`churned`; a `deliveries` table in the project's database with a number to
predict), copies every file block of the example from the rendered page into
the project (so the page and this test cannot drift), and runs `make test`,
`make run`, `make lint` and `make audit`: the churn file at OLD; the
deliveries table swapped in at OLD, committed, and updated to NEW, a release
that changes a hardening module and the template's copy of every example
file (no conflict, the owner's files unchanged byte for byte, the hardening
change arrived) before they run.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sqlite3
import sys
from pathlib import Path

import pytest
import yaml

from commands import (
    check,
    commit_all,
    git,
    package_of,
    python_path,
    run_in,
    run_make,
)
from osv_server import REQUESTS_VERIFY_FALSE, serving
from releases import made_from, release, update

# One install for every test here: one worker runs them all.
pytestmark = pytest.mark.xdist_group("own-data")

OLD, NEW = "3.0.0", "3.1.0"
ANSWERS = {"project_name": "Own Data", "lock_backend": "uv"}
PAGE = "docs/bring-your-own-data.md"
CHURN = "Worked example 1"
DELIVERIES = "Worked example 2"
HARDENING = "template/src/{{ package_name }}/hardening"
NEW_MARK = "\n\n# Hardened further in 3.1.0\n"
EXAMPLE_MARK = "# The template's example, changed in 3.1.0\n"
# A file block of the page: its path in bold code, then the whole file.
FILE_BLOCK = re.compile(
    r"^\*\*`(?P<path>[^`]+)`\*\*\n\n```python\n(?P<code>.*?)\n```$", re.M | re.S
)


def owner_files(copier_config: dict) -> list[str]:
    """The example's files: every _skip_if_exists entry under src/, tests/ or notebooks/."""
    return [
        entry
        for entry in copier_config["_skip_if_exists"]
        if entry.split("/")[0] in ("src", "tests", "notebooks")
    ]


def new_release(template: Path) -> None:
    """A hardening change, and a change to the template's copy of every example file."""
    runs = template / HARDENING / "runs.py"
    runs.write_text(runs.read_text() + NEW_MARK)
    config = yaml.safe_load((template / "copier.yml").read_text())
    for entry in owner_files(config):
        [path] = [
            path
            for path in (template / "template").rglob("*")
            if path.is_file() and rendered_name(path, template) == entry
        ]
        if path.name.endswith(".ipynb.jinja"):
            notebook = json.loads(path.read_text())
            notebook["cells"][0]["source"].append("\n\nChanged in 3.1.0.")
            path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        else:
            path.write_text(path.read_text() + EXAMPLE_MARK)


def rendered_name(path: Path, template: Path) -> str:
    """Where a template file lands with every option on, as _skip_if_exists names it."""
    relative = path.relative_to(template / "template").as_posix().removesuffix(".jinja")
    return re.sub(r"\{% if \w+ %\}([^{]*)\{% endif %\}", r"\1", relative)


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("own-data-template")
    release(repo, OLD)
    release(repo, NEW, new_release)
    return repo


@pytest.fixture(scope="module")
def project(releases: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default project (uv) at OLD, committed and installed once."""
    folder = made_from(releases, tmp_path_factory.mktemp("own-data") / "project", OLD, ANSWERS)
    check(run_make(folder, "install", f"PYTHON={python_path('3.11')}"))
    return folder


@pytest.fixture
def fresh(project: Path) -> Path:
    """The project as installed, before any swap (ignored files, .venv and .env, stay)."""
    base = git(project, "rev-list", "--max-parents=0", "HEAD").strip()
    git(project, "reset", "--hard", "--quiet", base)
    git(project, "clean", "-fd", "--quiet")
    return project


def page_files(project: Path, heading: str) -> dict[str, str]:
    """Every file block of one worked example of the project's rendered page."""
    text = (project / PAGE).read_text()
    assert f"\n## {heading}" in text, f"{PAGE} has no section {heading!r}"
    section = text.split(f"\n## {heading}", 1)[1].split("\n## ", 1)[0]
    return {match["path"]: match["code"] + "\n" for match in FILE_BLOCK.finditer(section)}


def swap(project: Path, heading: str) -> list[str]:
    """Do what the page says: replace each of its files whole. Returns their paths."""
    files = page_files(project, heading)
    package = package_of(project)
    assert sorted(files) == sorted(
        [
            f"src/{package}/data.py",
            f"src/{package}/schema.py",
            "tests/source_data.py",
            "tests/test_data.py",
        ]
    )
    for relative, code in files.items():
        assert (project / relative).is_file(), relative  # the page replaces, never adds
        (project / relative).write_text(code)
    return list(files)


# -- the data sets a data scientist brings --------------------------------------


def churn_export(path: Path, rows: int = 360, seed: int = 26) -> None:
    """A churn export: text plans, gaps in tenure, churned yes/no (not the page's rows)."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["customer_id", "region", "plan", "monthly_charges", "tenure_months", "churned"]
        )
        for number in range(1, rows + 1):
            plan = rng.choice(["basic", "standard", "premium"])
            charges = round(rng.uniform(10, 150), 2)
            tenure = None if rng.random() < 0.2 else rng.randint(0, 71)
            risk = 1.5 - 0.05 * (6 if tenure is None else tenure) + 0.02 * (charges - 80)
            risk += (0.8 if plan == "basic" else 0) + rng.gauss(0, 0.5)
            region = rng.choice(["north", "south", "east", "west"])
            writer.writerow(
                [
                    number,
                    region,
                    plan,
                    charges,
                    "" if tenure is None else float(tenure),
                    "yes" if risk > 0 else "no",
                ]
            )


def deliveries_table(database: Path, rows: int = 320, seed: int = 26) -> None:
    """The warehouse's deliveries table, as another system wrote it (plain SQLite)."""
    rng = random.Random(seed)
    speed = {"bike": 0.25, "van": 0.6, "truck": 0.45}
    values = []
    for number in range(1, rows + 1):
        vehicle = rng.choice(sorted(speed))
        distance, parcels = round(rng.uniform(0.5, 60), 1), rng.randint(1, 39)
        minutes = 10 + distance / speed[vehicle] + 1.5 * parcels + rng.gauss(0, 5)
        values.append(
            (
                number,
                rng.choice(["north", "south"]),
                vehicle,
                distance,
                parcels,
                max(1.0, round(minutes, 1)),
            )
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE deliveries (delivery_id INTEGER PRIMARY KEY, depot TEXT,"
            " vehicle TEXT, distance_km REAL, parcels INTEGER, minutes REAL, driver TEXT)"
        )
        # A column the pipeline does not read (a driver's name) stays in the warehouse.
        connection.executemany(
            "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, 'A. Driver')", values
        )
    connection.close()


# -- what must pass --------------------------------------------------------------


def passes(project: Path) -> dict[str, float]:
    """`make test`, `make run`, `make lint`, `make audit` pass; the run's metrics."""
    tested = check(run_make(project, "test"))
    # pytest's last line: only passes (no failure, error or skip).
    assert re.search(r"(?m)^=+ \d+ passed in [\d.]+s", tested), tested[-3000:]
    check(run_make(project, "run"))
    check(run_make(project, "lint"))
    with serving([REQUESTS_VERIFY_FALSE]) as osv:
        check(run_make(project, "audit", env=osv.environment()))
    return json.loads((project / "reports" / "metrics.json").read_text())


def cli(project: Path, *args: str) -> str:
    return check(run_in(project, ".venv/bin/python", "-m", package_of(project), *args))


@pytest.mark.slow(150)
def test_a_churn_csv_file_swaps_in_by_the_page(fresh):
    project = fresh
    swap(project, CHURN)
    churn_export(project / "data" / "external" / "churn.csv")
    assert git(project, "status", "--porcelain", "--", "data") == ""  # the export stays out of git
    metrics = passes(project)
    assert set(metrics) == {"accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc"}
    assert metrics["roc_auc"] > 0.75
    # Encrypted and signed with the keys the install wrote, under the new source's name.
    assert (project / "data" / "raw" / "customers.csv.enc").is_file()
    assert not (project / "data" / "raw" / "customers.csv").exists()
    assert (project / "models" / "model.skops.hmac").is_file()
    assert latest_figures(project) == ["confusion-matrix.png", "roc-curve.png"]


def latest_figures(project: Path) -> list[str]:
    """The names of the last run's figures, without their run's stem."""
    found = sorted((project / "reports" / "figures").glob("*.png"))
    last = found[-1].name.split("-run", 1)[1][:6]
    return sorted(
        path.name.split(f"-run{last}-")[1] for path in found if f"-run{last}-" in path.name
    )


@pytest.mark.slow(150)
def test_a_database_table_swapped_in_by_the_page_updates_without_conflict(fresh, releases):
    """The second example, a regression on a table, swapped in at OLD and committed;
    the update to NEW brings the hardening change and touches none of it; then
    everything passes on NEW (one `make test` proves the swap and the update)."""
    project = fresh
    package = package_of(project)
    swap(project, DELIVERIES)
    deliveries_table(project / "data" / "warehouse.sqlite")
    commit_all(project, "Our deliveries table")
    config = yaml.safe_load((releases / "copier.yml").read_text())
    owned = {
        path.relative_to(project).as_posix(): path.read_bytes()
        for entry in owner_files(config)
        for path in project.glob(entry.replace("{{ package_name }}", package))
    }
    # Every example file a default project has: serving.py comes with use_service.
    expected = [entry for entry in owner_files(config) if not entry.endswith("/serving.py")]
    assert len(owned) == len(expected), sorted(owned)

    updated = update(project, NEW)
    assert updated.returncode == 0, updated.stderr
    assert not list(project.rglob("*.rej"))
    check(run_in(project, sys.executable, "tools/check_conflicts.py"))
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == NEW
    # The hardening change arrived; not one byte of the owner's files changed.
    assert (project / "src" / package / "hardening" / "runs.py").read_text().endswith(NEW_MARK)
    for relative, content in owned.items():
        assert (project / relative).read_bytes() == content, relative
    changed = git(project, "status", "--porcelain").splitlines()
    assert not [line for line in changed if line[3:] in owned], changed
    commit_all(project, f"Update to {NEW}")

    metrics = passes(project)
    assert set(metrics) == {"r2", "mae", "rmse"}
    assert metrics["r2"] > 0.8
    assert (project / "data" / "raw" / "deliveries.csv.enc").is_file()
    assert latest_figures(project) == ["predicted-vs-true.png", "residuals.png"]
    # A run of one depot is tagged, and found by its tag.
    cli(project, "run", "--cohort", "south", "--label", "south only")
    [line] = cli(project, "runs", "--tag", "cohort=south").splitlines()
    assert line.endswith("south only")
    shown = json.loads(cli(project, "runs", "--show", line.split("\t")[0]))
    assert shown["tags"] == {"cohort": "south", "seed": 42}
