"""Training and evaluation of the classifier."""

from __future__ import annotations

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.pipeline import Pipeline

from .features import preprocessor


def train(features: pd.DataFrame, target: pd.Series, seed: int = 42) -> Pipeline:
    """Fit preprocessing and a logistic regression on the training rows."""
    model = Pipeline(
        [
            ("scale", preprocessor()),
            ("classify", LogisticRegression(max_iter=1000, random_state=seed)),
        ]
    )
    return model.fit(features, target)


def evaluate(model: Pipeline, features: pd.DataFrame, target: pd.Series) -> dict[str, float]:
    """Score the model on held-out rows; every metric lies in [0, 1]."""
    predicted = model.predict(features)
    probability = model.predict_proba(features)[:, 1]
    return {
        "accuracy": float(accuracy_score(target, predicted)),
        "precision": float(precision_score(target, predicted)),
        "recall": float(recall_score(target, predicted)),
        "f1": float(f1_score(target, predicted)),
        "roc_auc": float(roc_auc_score(target, probability)),
    }
