"""Data in: the example data set, loaded into a database and read back by query.

The example stands in for a warehouse: on first use, :func:`ensure_source`
loads scikit-learn's bundled breast-cancer data into the ``samples`` table of
the project's database (``DATABASE_URL``; an SQLite file by default). The
pipeline then reads it with :func:`extract`. Replace both with your own
tables and queries, built the same way: SQLAlchemy Core with bound values,
read into pandas by ``hardening.read_query``; ruff bans SQL text
(``sqlalchemy.text``, ``pandas.read_sql``, the drivers) in this project.

What the rest of the package needs from this module, whatever the data:
``SOURCE``, ``TARGET``, ``KEYS``, ``COHORTS`` and :func:`extract`. The docs
page "Bring your own data" replaces it for a CSV file or a table of yours.
"""

from __future__ import annotations

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sqlalchemy import Column, Engine, Float, Integer, MetaData, Table, Text, func, select

from .hardening import read_query
from .paths import ProjectPaths

# Names the raw data file (data/raw/samples.csv) and validation errors.
SOURCE = "samples"
# The column the model predicts: classes (two or more) or a number.
TARGET = "target"
ID = "sample_id"
COHORT = "cohort"
# Columns that identify or group a row; they are not features of the model.
KEYS = (ID, COHORT)
# Where each sample was collected: the filter of `run --cohort`.
COHORTS = ("north", "south", "east")

# The ten measurements of a cell nucleus, each as mean, error and worst value.
MEASUREMENTS = (
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave_points",
    "symmetry",
    "fractal_dimension",
)
FEATURES = (
    *(f"mean_{name}" for name in MEASUREMENTS),
    *(f"{name}_error" for name in MEASUREMENTS),
    *(f"worst_{name}" for name in MEASUREMENTS),
)

metadata = MetaData()
samples = Table(
    "samples",
    metadata,
    Column(ID, Integer, primary_key=True, autoincrement=False),
    Column(COHORT, Text, nullable=False),
    *(Column(name, Float, nullable=False) for name in FEATURES),
    Column(TARGET, Integer, nullable=False),
)


def load_dataset() -> pd.DataFrame:
    """Return the example data set: an id, a cohort, the features and a binary ``target``.

    The Wisconsin breast-cancer data ships inside scikit-learn, so the pipeline
    runs offline.
    """
    frame = load_breast_cancer(as_frame=True).frame
    # Column names with spaces are awkward in code, in SQL and in CSV headers.
    frame.columns = [str(name).replace(" ", "_") for name in frame.columns]
    frame.insert(0, ID, range(1, len(frame) + 1))
    frame.insert(1, COHORT, [COHORTS[index % len(COHORTS)] for index in range(len(frame))])
    return frame


def ensure_source(engine: Engine) -> int:
    """Create and fill the ``samples`` table once; return how many rows it holds."""
    metadata.create_all(engine, tables=[samples])
    with engine.begin() as connection:
        count = connection.execute(select(func.count()).select_from(samples)).scalar_one()
        if count == 0:
            rows = load_dataset().to_dict("records")
            connection.execute(samples.insert(), rows)
            count = len(rows)
    return int(count)


def extract(
    engine: Engine, paths: ProjectPaths | None = None, cohort: str | None = None
) -> pd.DataFrame:
    """Read the samples, only those of ``cohort`` when given (a bound parameter).

    ``paths`` is where a file source would be found; the example's source is a
    table it fills itself on first use, so it needs none.
    """
    ensure_source(engine)
    query = select(samples).order_by(samples.c[ID])
    if cohort is not None:
        query = query.where(samples.c[COHORT] == cohort)
    with engine.connect() as connection:
        return read_query(query, connection)
