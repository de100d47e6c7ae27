"""Thin MLflow helpers for node adapters: log only when a run is active.

Under `kedro run`, kedro-mlflow opens one run per run; in plain Python (tests, notebooks) there
is none and these helpers do nothing, so domain code never depends on MLflow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import mlflow


def log_metrics(metrics: Mapping[str, float], step: int | None = None, prefix: str = "") -> None:
    """Log numeric metrics (optionally at ``step``) to the active MLflow run, if any."""
    if mlflow.active_run() is None:
        return
    mlflow.log_metrics({f"{prefix}{k}": float(v) for k, v in metrics.items()}, step=step)


def log_artifact_text(text: str, path: str) -> None:
    """Save ``text`` as the artifact ``path`` of the active MLflow run, if any."""
    if mlflow.active_run() is not None:
        mlflow.log_text(text, path)


def log_artifact_dict(data: dict, path: str) -> None:
    """Save ``data`` as the JSON (or YAML, by suffix) artifact ``path`` of the active run, if any."""
    if mlflow.active_run() is not None:
        mlflow.log_dict(data, path)


def epoch_logger(prefix: str = ""):
    """A callback for :func:`l6pipeline.nn.fit_one_cycle` that logs each epoch with ``step``."""

    def _log(result) -> None:
        log_metrics(result.as_dict(), step=result.epoch, prefix=prefix)

    return _log


@contextmanager
def child_run(name: str, params: Mapping[str, object] | None = None) -> Iterator[None]:
    """A nested MLflow run under the active one, with ``params`` (nothing when none is active).

    Inside the block, :func:`log_metrics` and :func:`epoch_logger` write to the child run.
    """
    if mlflow.active_run() is None:
        yield
        return
    with mlflow.start_run(run_name=name, nested=True):
        if params:
            mlflow.log_params(params)
        yield
