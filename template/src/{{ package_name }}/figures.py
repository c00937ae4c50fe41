"""Figures of a run: the confusion matrix (and ROC curve for two classes) of a
classifier, or predicted against true values and the residuals of a regressor.

Drawn with matplotlib's object-oriented API on its Agg canvas, never through
pyplot: nothing here picks a global backend or needs a display, so a run
draws the same on a laptop, in CI and in the read-only container, and a
notebook that imports this module keeps its own backend.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve
from sklearn.pipeline import Pipeline

from .features import is_classification

# Names a run's figures end with; the file name starts with the run's stem.
CONFUSION_MATRIX = "confusion-matrix"
ROC_CURVE = "roc-curve"
PREDICTED = "predicted-vs-true"
RESIDUALS = "residuals"


def draw(model: Pipeline, features: pd.DataFrame, target: pd.Series) -> dict[str, Figure]:
    """Every figure of the model scored on ``features``, keyed by name."""
    predicted = model.predict(features)
    if not is_classification(target):
        return {
            PREDICTED: predicted_figure(target, predicted),
            RESIDUALS: residuals_figure(target, predicted),
        }
    drawn = {CONFUSION_MATRIX: confusion_matrix_figure(target, predicted)}
    if len(model.classes_) == 2:
        probability = model.predict_proba(features)[:, 1]
        drawn[ROC_CURVE] = roc_curve_figure(target, probability, positive=model.classes_[1])
    return drawn


def confusion_matrix_figure(target: pd.Series, predicted: pd.Series) -> Figure:
    """Counts of true and predicted classes, one labelled cell each."""
    labels = sorted(set(target) | set(predicted))
    counts = confusion_matrix(target, predicted, labels=labels)
    figure = _figure()
    axes = figure.subplots()
    image = axes.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=axes)
    ticks = range(len(labels))
    axes.set(
        xticks=ticks,
        yticks=ticks,
        xticklabels=[str(label) for label in labels],
        yticklabels=[str(label) for label in labels],
        xlabel="Predicted class",
        ylabel="True class",
        title="Confusion matrix",
    )
    # Dark text on light cells and light text on dark ones.
    threshold = counts.max() / 2
    for row in ticks:
        for column in ticks:
            count = counts[row, column]
            colour = "white" if count > threshold else "black"
            axes.text(column, row, str(count), ha="center", va="center", color=colour)
    return figure


def roc_curve_figure(target: pd.Series, probability: pd.Series, positive: object = 1) -> Figure:
    """True against false positive rate over every threshold, with its area."""
    false_positive, true_positive, _ = roc_curve(target, probability, pos_label=positive)
    area = roc_auc_score(target == positive, probability)
    figure = _figure()
    axes = figure.subplots()
    axes.plot(false_positive, true_positive, label=f"model (AUC {area:.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(
        xlim=(0, 1),
        ylim=(0, 1.02),
        xlabel="False positive rate",
        ylabel="True positive rate",
        title="ROC curve",
    )
    axes.legend(loc="lower right")
    return figure


def predicted_figure(target: pd.Series, predicted: pd.Series) -> Figure:
    """Each test row's prediction against its true value; the diagonal is a perfect model."""
    figure = _figure()
    axes = figure.subplots()
    axes.scatter(target, predicted, s=12, alpha=0.6)
    low, high = min(target.min(), predicted.min()), max(target.max(), predicted.max())
    axes.plot([low, high], [low, high], linestyle="--", color="grey", label="perfect")
    axes.set(xlabel="True value", ylabel="Predicted value", title="Predicted against true")
    axes.legend(loc="upper left")
    return figure


def residuals_figure(target: pd.Series, predicted: pd.Series) -> Figure:
    """How far predictions miss: a histogram of true minus predicted values."""
    figure = _figure()
    axes = figure.subplots()
    axes.hist(target - predicted, bins=30)
    axes.axvline(0, linestyle="--", color="grey")
    axes.set(xlabel="True minus predicted", ylabel="Test rows", title="Residuals")
    return figure


def save(figures: dict[str, Figure], folder: Path, stem: str) -> list[Path]:
    """Write each figure as ``<stem>-<name>.png`` in ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in figures.items():
        path = folder / f"{stem}-{name}.png"
        path.write_bytes(png(figure))
        written.append(path)
    return written


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes, as :func:`save` writes it (a notebook can show them)."""
    buffer = io.BytesIO()
    # No "Software" entry: the file says nothing about the machine that drew it.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _figure() -> Figure:
    figure = Figure(figsize=(5, 4), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure
