"""Feature preparation: the train/test split and the preprocessing steps.

Nothing here names a column: numbers and categories are told apart by their
types, so a table of your own needs no change here (see docs: Bring your own
data). Columns in ``data.KEYS`` identify or group rows and are left out.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.multiclass import type_of_target

from .data import KEYS, TARGET


class Split(NamedTuple):
    train: pd.DataFrame
    test: pd.DataFrame


def is_classification(target: pd.Series) -> bool:
    """True for a target of classes (two or more), False for a number to predict."""
    return type_of_target(target) in ("binary", "multiclass")


def split(frame: pd.DataFrame, test_size: float = 0.25, seed: int = 42) -> Split:
    """Split rows into train and test sets, keeping the class balance of a class target."""
    target = frame[TARGET]
    train, test = train_test_split(
        frame,
        test_size=test_size,
        random_state=seed,
        stratify=target if is_classification(target) else None,
    )
    return Split(train.reset_index(drop=True), test.reset_index(drop=True))


def features_and_target(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the feature columns from the target (the key columns are neither)."""
    return frame.drop(columns=[TARGET, *KEYS], errors="ignore"), frame[TARGET]


def preprocessor(features: pd.DataFrame) -> ColumnTransformer:
    """Fill gaps, scale the number columns of ``features`` and one-hot encode the others.

    Fitted inside the model pipeline, on training rows only, so no statistic
    of the test set leaks into training. A category first seen when scoring
    is encoded as none of the known ones. The columns are listed by name, not
    chosen by a selector object, so the saved model holds only types skops
    loads without code.
    """
    number_columns = list(features.select_dtypes("number").columns)
    other_columns = [name for name in features.columns if name not in number_columns]
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categories = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("numbers", numbers, number_columns),
            ("categories", categories, other_columns),
        ]
    )
