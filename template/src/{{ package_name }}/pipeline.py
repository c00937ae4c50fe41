"""The project's main job, end to end: data -> features -> model -> report."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import NamedTuple

from . import data, features, model
from .config import Settings
from .hardening import model_store, webhook
from .paths import ProjectPaths

log = logging.getLogger(__name__)

MODEL_FILE = "model.skops"
METRICS_FILE = "metrics.json"


class RunResult(NamedTuple):
    paths: ProjectPaths
    metrics: dict[str, float]
    model_path: Path
    metrics_path: Path


def run(paths: ProjectPaths, settings: Settings, seed: int = 42) -> RunResult:
    """Run every step and return where the results were written."""
    paths.create()

    raw = data.write_csv(data.load_dataset(), paths.raw_data / "breast_cancer.csv")
    log.info("Wrote raw data to %s", raw)

    split = features.split(data.read_csv(raw), seed=seed)
    data.write_csv(split.train, paths.processed_data / "train.csv")
    data.write_csv(split.test, paths.processed_data / "test.csv")
    log.info("Split %d training and %d test rows", len(split.train), len(split.test))

    fitted = model.train(*features.features_and_target(split.train), seed=seed)
    model_path = paths.models / MODEL_FILE
    digest = model_store.save_model(fitted, model_path)
    log.info("Saved model to %s (sha256 %s)", model_path, digest)

    # Score the model as it was saved, so the report describes the file on disk.
    reloaded = model_store.load_model(model_path, trusted=settings.trusted_model_types)
    metrics = model.evaluate(reloaded, *features.features_and_target(split.test))
    metrics_path = paths.reports / METRICS_FILE
    metrics_path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    log.info("Wrote metrics to %s: %s", metrics_path, metrics)

    if settings.metrics_webhook_url is not None and settings.metrics_webhook_token is not None:
        webhook.post_metrics(settings.metrics_webhook_url, settings.metrics_webhook_token, metrics)

    return RunResult(paths, metrics, model_path, metrics_path)
