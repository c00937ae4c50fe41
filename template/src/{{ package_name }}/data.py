"""Data in and out: the example data set and the CSV files between steps."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.datasets import load_breast_cancer

TARGET = "target"


def load_dataset() -> pd.DataFrame:
    """Return the example data set: features and a binary ``target`` column.

    The Wisconsin breast-cancer data ships inside scikit-learn, so the pipeline
    runs offline. Replace this function to read your own source.
    """
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame
    # Column names with spaces are awkward in code and in CSV headers.
    frame.columns = [str(name).replace(" ", "_") for name in frame.columns]
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` to ``path`` without the index and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv`."""
    return pd.read_csv(path)
