"""Training and evaluation: a classifier for a class target, a regressor for a number."""

from __future__ import annotations

import pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.pipeline import Pipeline

from .features import is_classification, preprocessor


def train(features: pd.DataFrame, target: pd.Series, seed: int = 42) -> Pipeline:
    """Fit preprocessing and a linear model on the training rows."""
    estimator = (
        LogisticRegression(max_iter=1000, random_state=seed)
        if is_classification(target)
        else Ridge()
    )
    model = Pipeline([("prepare", preprocessor(features)), ("predict", estimator)])
    return model.fit(features, target)


def evaluate(model: Pipeline, features: pd.DataFrame, target: pd.Series) -> dict[str, float]:
    """Score the model on held-out rows: the metrics that fit its kind of target."""
    predicted = model.predict(features)
    if not is_classification(target):
        return {
            "r2": float(r2_score(target, predicted)),
            "mae": float(mean_absolute_error(target, predicted)),
            "rmse": float(root_mean_squared_error(target, predicted)),
        }
    metrics = {
        "accuracy": float(accuracy_score(target, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(target, predicted)),
    }
    classes = list(model.classes_)
    if len(classes) == 2:  # the second class (1, "yes", True) is the positive one
        positive = classes[1]
        probability = model.predict_proba(features)[:, 1]
        metrics |= {
            "precision": float(precision_score(target, predicted, pos_label=positive)),
            "recall": float(recall_score(target, predicted, pos_label=positive)),
            "f1": float(f1_score(target, predicted, pos_label=positive)),
            "roc_auc": float(roc_auc_score(target, probability)),
        }
    else:
        metrics["f1_macro"] = float(f1_score(target, predicted, average="macro"))
    return metrics
