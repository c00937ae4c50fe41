"""The ``runs`` table: one row a pipeline run, what it read and what it made.

Written and queried with SQLAlchemy Core only; every value is a bound
parameter, and the sort column comes from :data:`SORTS`, an allow-list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)

from .database import DatabaseError, check_text, choose

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("label", Text, nullable=True),
    Column("cohort", Text, nullable=True),
    Column("rows", Integer, nullable=False),
    # SHA-256 of the input as the pipeline read it, and of the model file.
    Column("input_sha256", String(64), nullable=False),
    Column("model_sha256", String(64), nullable=False),
    Column("metrics", Text, nullable=False),
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


def limit_argument(text: str) -> int:
    """``--limit``: how many runs to list, 1 to MAX_LIMIT."""
    return _bounded(text, MAX_LIMIT)


def id_argument(text: str) -> int:
    """``--show``: a run id, which the database can hold."""
    return _bounded(text, MAX_ID)


def _bounded(text: str, highest: int) -> int:
    value = int(text)
    if not 1 <= value <= highest:
        raise ValueError(text)  # argparse reports it as an invalid value
    return value


@dataclass(frozen=True)
class Run:
    id: int
    started_at: datetime
    label: str | None
    cohort: str | None
    rows: int
    input_sha256: str
    model_sha256: str
    metrics: dict[str, float]


def create_table(engine: Engine) -> None:
    metadata.create_all(engine, tables=[runs])


def record(
    engine: Engine,
    *,
    label: str | None,
    cohort: str | None,
    rows: int,
    input_sha256: str,
    model_sha256: str,
    metrics: dict[str, float],
) -> int:
    """Insert one run and return its id."""
    values = {
        "started_at": datetime.now(UTC),
        "label": None if label is None else check_text(label, "the run label"),
        "cohort": cohort,
        "rows": rows,
        "input_sha256": input_sha256,
        "model_sha256": model_sha256,
        "metrics": json.dumps(metrics, sort_keys=True),
    }
    create_table(engine)
    with engine.begin() as connection:
        key = connection.execute(insert(runs).values(**values)).inserted_primary_key
        if key is None:  # only for statements that insert no row
            raise DatabaseError("the runs table returned no id for the new run")
        return int(key[0])


def find(
    engine: Engine,
    *,
    label: str | None = None,
    run_id: int | None = None,
    sort: str = "newest",
    limit: int = 20,
) -> list[Run]:
    """Recorded runs, optionally only those labelled exactly ``label``, or one by id."""
    order = choose(sort, SORTS, "--sort")
    query = select(runs).order_by(order, runs.c.id).limit(limit)
    if label is not None:
        query = query.where(runs.c.label == check_text(label, "the label filter"))
    if run_id is not None:
        query = query.where(runs.c.id == run_id)
    create_table(engine)
    with engine.connect() as connection:
        try:
            return [
                Run(
                    id=int(row["id"]),
                    started_at=row["started_at"],
                    label=_optional_text(row["label"]),
                    cohort=_optional_text(row["cohort"]),
                    rows=int(row["rows"]),
                    input_sha256=_text(row["input_sha256"]),
                    model_sha256=_text(row["model_sha256"]),
                    metrics=_metrics(row["metrics"]),
                )
                for row in connection.execute(query).mappings()
            ]
        # A row written by another tool, of the wrong type: its value is not shown.
        except (ValueError, TypeError, AttributeError) as error:
            raise DatabaseError(
                f"the runs table holds a row that cannot be read ({type(error).__name__})"
            ) from None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _metrics(value: object) -> dict[str, float]:
    loaded = json.loads(_text(value))
    if not isinstance(loaded, dict) or not all(
        isinstance(number, int | float) and not isinstance(number, bool)
        for number in loaded.values()
    ):
        raise TypeError("not a mapping of metric names to numbers")
    return {str(name): float(number) for name, number in loaded.items()}
