"""The record of each pipeline run: what it read, what it made, and the owner's tags.

Two tables, written and queried with SQLAlchemy Core only: ``runs``, one row a
run, and ``run_tags``, the run's parameters as the project names them (a
cohort, a data snapshot, a fold: whatever its pipeline takes), each a typed
value stored as JSON. Every value is a bound parameter, and the sort column
comes from :data:`SORTS`, an allow-list.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
    update,
)

from .database import DatabaseError, InputError, check_text, choose

TagValue = str | int | float | bool
Tags = Mapping[str, TagValue]

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("label", Text, nullable=True),
    Column("rows", Integer, nullable=False),
    # SHA-256 of the input as the pipeline read it, and of the model file.
    Column("input_sha256", String(64), nullable=False),
    Column("model_sha256", String(64), nullable=False),
    Column("metrics", Text, nullable=False),
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),  # JSON: "north", 3, 0.5, true
)

# How `runs --sort` may order the list: names a person types, mapped to
# columns. Anything else is refused; no input ever becomes SQL text.
SORTS = {
    "newest": runs.c.id.desc(),
    "oldest": runs.c.id.asc(),
    "label": runs.c.label.asc(),
}

MAX_LIMIT = 10_000
MAX_ID = 2**63 - 1  # the largest integer every database stores
MAX_TAGS = 32
TAG_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
# Runs tables made before tags existed kept one parameter in a column of
# their own; create_table copies it into run_tags once.
_LEGACY_TAG_COLUMNS = ("cohort",)


@dataclass(frozen=True)
class Run:
    id: int
    started_at: datetime
    label: str | None
    rows: int
    input_sha256: str
    model_sha256: str
    metrics: dict[str, float]
    tags: dict[str, TagValue] = field(default_factory=dict)


# argparse quotes the value it was given when a type raises ValueError, and
# prints only the message of an ArgumentTypeError: these never echo a value.


def limit_argument(text: str) -> int:
    """``--limit``: how many runs to list, 1 to MAX_LIMIT."""
    return _bounded(text, MAX_LIMIT, "a number of runs")


def id_argument(text: str) -> int:
    """``--show``: a run id, which the database can hold."""
    return _bounded(text, MAX_ID, "a run id")


def tag_argument(text: str) -> tuple[str, TagValue]:
    """``--tag NAME=VALUE``: a number, true or false as JSON reads it, else the text."""
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("a tag is NAME=VALUE")
    try:
        parsed = json.loads(value, parse_constant=_refuse)  # NaN and Infinity stay text
    except ValueError:
        parsed = value
    if not isinstance(parsed, TagValue):  # null, a list or a mapping
        parsed = value
    return name, parsed


def _refuse(constant: str) -> None:
    raise ValueError(constant)


def _bounded(text: str, highest: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= highest:
        raise argparse.ArgumentTypeError(f"{what} from 1 to {highest}")
    return value


def encode_tags(tags: Tags | None) -> dict[str, str]:
    """Each tag's value as JSON text, after checking names and values; never echoes a value."""
    tags = tags or {}
    if len(tags) > MAX_TAGS:
        raise InputError(f"a run takes at most {MAX_TAGS} tags")
    encoded = {}
    for name, value in tags.items():
        given: object = name  # callers without types may pass anything
        if not isinstance(given, str) or not TAG_NAME.fullmatch(given):
            raise InputError(
                "a tag name must be a letter or _ and then up to 63 letters, digits, _ . -"
            )
        if isinstance(value, str):
            check_text(value, f"the tag {name}")
        elif isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"the tag {name} must be a finite number")
        elif not isinstance(value, TagValue):
            raise InputError(f"the tag {name} must be text, a number, true or false")
        encoded[name] = json.dumps(value)
    return encoded


def create_table(engine: Engine) -> None:
    metadata.create_all(engine, tables=[runs, run_tags])
    _copy_legacy_columns(engine)


def record_run(
    engine: Engine,
    *,
    rows: int,
    input_sha256: str,
    model_sha256: str,
    metrics: Mapping[str, float],
    label: str | None = None,
    tags: Tags | None = None,
) -> int:
    """Insert one run and its tags; return the run's id. Nothing is written if a tag is refused."""
    values = {
        "started_at": datetime.now(UTC),
        "label": None if label is None else check_text(label, "the run label"),
        "rows": rows,
        "input_sha256": input_sha256,
        "model_sha256": model_sha256,
        "metrics": json.dumps(dict(metrics), sort_keys=True),
    }
    encoded = encode_tags(tags)
    create_table(engine)
    with engine.begin() as connection:
        key = connection.execute(insert(runs).values(**values)).inserted_primary_key
        if key is None:  # only for statements that insert no row
            raise DatabaseError("the runs table returned no id for the new run")
        run_id = int(key[0])
        if encoded:
            connection.execute(
                insert(run_tags),
                [
                    {"run_id": run_id, "name": name, "value": value}
                    for name, value in encoded.items()
                ],
            )
        return run_id


def find_runs(
    engine: Engine,
    *,
    label: str | None = None,
    tags: Tags | None = None,
    run_id: int | None = None,
    sort: str = "newest",
    limit: int = 20,
) -> list[Run]:
    """Recorded runs, newest first by default.

    Only those labelled exactly ``label``, carrying every one of ``tags``
    (the same value and type), or the one run ``run_id``.
    """
    order = choose(sort, SORTS, "--sort")
    query = select(runs).order_by(order, runs.c.id).limit(limit)
    if label is not None:
        query = query.where(runs.c.label == check_text(label, "the label filter"))
    for name, value in encode_tags(tags).items():
        tagged = select(run_tags.c.run_id).where(run_tags.c.name == name, run_tags.c.value == value)
        query = query.where(runs.c.id.in_(tagged))
    if run_id is not None:
        query = query.where(runs.c.id == run_id)
    create_table(engine)
    with engine.connect() as connection:
        try:
            found = [
                Run(
                    id=int(row["id"]),
                    started_at=row["started_at"],
                    label=_optional_text(row["label"]),
                    rows=int(row["rows"]),
                    input_sha256=_text(row["input_sha256"]),
                    model_sha256=_text(row["model_sha256"]),
                    metrics=_metrics(row["metrics"]),
                )
                for row in connection.execute(query).mappings()
            ]
            if not found:
                return []
            listed = (
                select(run_tags)
                .where(run_tags.c.run_id.in_([run.id for run in found]))
                .order_by(run_tags.c.run_id, run_tags.c.name)
            )
            tags_of: dict[int, dict[str, TagValue]] = {}
            for row in connection.execute(listed).mappings():
                tags_of.setdefault(int(row["run_id"]), {})[_text(row["name"])] = _tag(row["value"])
        # A row written by another tool, of the wrong type: its value is not shown.
        except (ValueError, TypeError, AttributeError) as error:
            raise DatabaseError(
                f"the runs table holds a row that cannot be read ({type(error).__name__})"
            ) from None
    return [replace(run, tags=tags_of.get(run.id, {})) for run in found]


def _copy_legacy_columns(engine: Engine) -> None:
    """Once: each legacy column's values become tags, then the column is emptied.

    Only what a tag may hold is copied (a value record_run would refuse is
    dropped), and one tag a run, whatever the old table holds.
    """
    columns = {column["name"] for column in inspect(engine).get_columns("runs")}
    legacy = [name for name in _LEGACY_TAG_COLUMNS if name in columns]
    if not legacy:
        return
    old = Table("runs", MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        for name in legacy:
            tagged = {
                row[0]
                for row in connection.execute(
                    select(run_tags.c.run_id).where(run_tags.c.name == name)
                )
            }
            rows = connection.execute(
                select(old.c.id, old.c[name]).where(old.c[name].is_not(None))
            ).all()
            if not rows:
                continue  # copied already, or never set
            copies: dict[int, str] = {}
            for run_id, value in rows:
                if run_id in tagged or run_id in copies:
                    continue
                try:
                    copies[run_id] = encode_tags({name: str(value)})[name]
                except InputError:
                    continue  # not text a tag may hold: dropped, never shown
            if copies:
                connection.execute(
                    insert(run_tags),
                    [{"run_id": key, "name": name, "value": text} for key, text in copies.items()],
                )
            connection.execute(update(old).values({name: None}))


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _tag(value: object) -> TagValue:
    loaded = json.loads(_text(value))
    if not isinstance(loaded, TagValue):
        raise TypeError("not a tag value")
    return loaded


def _metrics(value: object) -> dict[str, float]:
    loaded = json.loads(_text(value))
    if not isinstance(loaded, dict) or not all(
        isinstance(number, int | float) and not isinstance(number, bool)
        for number in loaded.values()
    ):
        raise TypeError("not a mapping of metric names to numbers")
    return {str(name): float(number) for name, number in loaded.items()}
