"""The project's main job, end to end: database -> checked data -> features -> model -> reports."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from . import data, features, figures, model, schema
from .config import Settings
from .hardening import (
    check_text,
    connect,
    load_model,
    post_metrics,
    record_run,
    refuse_downgrade,
    save_model,
    validate,
    write_frame,
)
from .paths import ProjectPaths

log = logging.getLogger(__name__)

MODEL_FILE = "model.skops"
METRICS_FILE = "metrics.json"


class RunResult(NamedTuple):
    paths: ProjectPaths
    run_id: int
    metrics: dict[str, float]
    model_path: Path
    metrics_path: Path
    figure_paths: list[Path]


def run(
    paths: ProjectPaths,
    settings: Settings,
    seed: int = 42,
    label: str | None = None,
    cohort: str | None = None,
) -> RunResult:
    """Run every step and return where the results were written."""
    started = datetime.now(UTC)
    keys = settings.data_keys()
    # Typed by a person: refused early if no database could store it as given.
    for value, what in ((label, "the run label"), (cohort, "the cohort")):
        if value is not None:
            check_text(value, what)
    # The run's parameters, recorded with it: `runs --tag cohort=north` finds it.
    tags = {"seed": seed} | ({} if cohort is None else {"cohort": cohort})
    engine = connect(settings.database(), paths.database)
    try:
        # Checked before anything is written: a bad row stops the run here.
        source = data.extract(engine, paths, cohort=cohort)
        raw = validate(source, schema.SAMPLES, f"table {data.SOURCE}")
        refuse_downgrade(paths.data_folders, keys)
        paths.create()
        written = write_frame(raw, paths.raw_data / f"{data.SOURCE}.csv", keys)
        log.info("Wrote %d rows of raw data to %s", len(raw), written)

        split = features.split(raw, seed=seed)
        write_frame(split.train, paths.processed_data / "train.csv", keys)
        write_frame(split.test, paths.processed_data / "test.csv", keys)
        log.info("Split %d training and %d test rows", len(split.train), len(split.test))

        fitted = model.train(*features.features_and_target(split.train), seed=seed)
        model_path = paths.models / MODEL_FILE
        digest = save_model(fitted, model_path, settings.signing_key())
        log.info("Saved model to %s (sha256 %s)", model_path, digest)

        # Score the model as it was saved, so the report describes the file on disk.
        reloaded = load_model(
            model_path, trusted=settings.trusted_model_types, signing_key=settings.signing_key()
        )
        test_features, test_target = features.features_and_target(split.test)
        metrics = model.evaluate(reloaded, test_features, test_target)
        metrics_path = paths.reports / METRICS_FILE
        metrics_path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
        log.info("Wrote metrics to %s: %s", metrics_path, metrics)

        run_id = record_run(
            engine,
            label=label,
            tags=tags,
            rows=len(raw),
            input_sha256=fingerprint(raw),
            model_sha256=digest,
            metrics=metrics,
        )
        # Named by start time, then run id: the files of later runs sort after.
        figure_paths = figures.save(
            figures.draw(reloaded, test_features, test_target),
            paths.figures,
            stem=f"{started:%Y%m%dT%H%M%SZ}-run{run_id:06d}",
        )
        log.info("Wrote %d figures to %s", len(figure_paths), paths.figures)
    finally:
        engine.dispose()

    if settings.metrics_webhook_url is not None and settings.metrics_webhook_token is not None:
        post_metrics(settings.metrics_webhook_url, settings.metrics_webhook_token, metrics)

    return RunResult(paths, run_id, metrics, model_path, metrics_path, figure_paths)


def fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the input as CSV: the same rows give the same fingerprint."""
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
