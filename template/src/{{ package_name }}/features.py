"""Feature preparation: the train/test split and the preprocessing steps."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .data import KEYS, TARGET


class Split(NamedTuple):
    train: pd.DataFrame
    test: pd.DataFrame


def split(frame: pd.DataFrame, test_size: float = 0.25, seed: int = 42) -> Split:
    """Split rows into train and test sets, keeping the class balance of ``target``."""
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=frame[TARGET]
    )
    return Split(train.reset_index(drop=True), test.reset_index(drop=True))


def features_and_target(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the feature columns from the ``target`` column (ids and cohorts are neither)."""
    return frame.drop(columns=[TARGET, *KEYS], errors="ignore"), frame[TARGET]


def preprocessor() -> StandardScaler:
    """Scale every feature to zero mean and unit variance.

    Fitted inside the model pipeline, on training rows only, so no statistic
    of the test set leaks into training.
    """
    return StandardScaler()
