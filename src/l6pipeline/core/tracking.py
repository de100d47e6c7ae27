"""MLflow helpers for node adapters that log only when a run is active, from the driver process
(docs/architecture.md#tracking)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import mlflow
import numpy as np
import torch

from l6pipeline.core.nn.training import EpochResult


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


def epoch_logger(prefix: str = "") -> Callable[[EpochResult], None]:
    """A callback for :func:`l6pipeline.core.nn.fit_one_cycle` that logs each epoch with ``step``."""

    def _log(result: EpochResult) -> None:
        log_metrics(result.as_dict(), step=result.epoch, prefix=prefix)

    return _log


@contextmanager
def child_run(
    name: str, params: Mapping[str, Any] | None = None, tags: Mapping[str, str] | None = None
) -> Iterator[bool]:
    """A nested MLflow run under the active one, with ``params`` and ``tags``; yields True.

    For one member of a group trained in one Kedro run (a study's configuration, an ensemble
    member): :func:`log_metrics` inside the block logs to the child. Without an active parent
    run (outside ``kedro run``) nothing is opened and it yields False.
    """
    if mlflow.active_run() is None:
        yield False
        return
    with mlflow.start_run(run_name=name, nested=True, tags=dict(tags or {})):
        if params:
            mlflow.log_params(dict(params))
        yield True


class HistoryLogger:
    """Logs one trained model's epochs (with their step) and final numbers to the active run, each
    number once."""

    def epoch(self, result) -> None:
        log_metrics(result.as_dict(), step=result.epoch)

    def finish(self, result) -> None:
        per_epoch = set(result.final.as_dict())
        log_metrics({k: v for k, v in result.final_metrics().items() if k not in per_epoch})


def child_runs(
    group: str, shared_params: Mapping[str, Any], tags: Mapping[str, str] | None = None
) -> Callable[[Any, str], AbstractContextManager[HistoryLogger | None]]:
    """A ``track(config, label)`` factory for :func:`l6pipeline.vision.augmentation.study.run_grid`.

    Each configuration gets a child run named ``"<group>: <label>"``, tagged
    ``l6pipeline.group=<group>`` (plus ``tags``), holding the shared parameters, the
    configuration's own (``config.as_params()``) and the label. Nothing without a parent run.
    """
    all_tags = {**(tags or {}), "l6pipeline.group": group}

    @contextmanager
    def track(config, label: str) -> Iterator[HistoryLogger | None]:
        params = {**shared_params, **config.as_params(), "label": label}
        with child_run(f"{group}: {label}", params, all_tags) as opened:
            yield HistoryLogger() if opened else None

    return track


def log_torch_model(model: torch.nn.Module, name: str, input_example: np.ndarray) -> None:
    """``mlflow.pytorch.log_model`` of ``model`` (CPU, eval mode) when a run is active.

    The input example also gives the logged model a signature. The pip requirements are given
    explicitly: inferring them runs the model in a subprocess (seconds).
    """
    if mlflow.active_run() is None:
        return
    import cloudpickle  # noqa: PLC0415
    from mlflow import pytorch as mlflow_pytorch  # noqa: PLC0415 (slow; only when logging)

    mlflow_pytorch.log_model(
        model.cpu().eval(),
        name=name,
        input_example=input_example,
        pip_requirements=[
            f"torch=={torch.__version__.split('+')[0]}",
            f"cloudpickle=={cloudpickle.__version__}",
        ],
    )
