"""Node adapters: parameters in, figures and tables out; MLflow child runs per configuration.

The domain code (:mod:`l6pipeline.vision.augment`, ``galleries``, ``study``) knows nothing of
Kedro or MLflow. Here each trained configuration becomes a nested MLflow run (its parameters,
per-epoch metrics and final numbers) under the run kedro-mlflow opens, but only when such a
run is active: in plain Python (tests, notebooks) the nodes train and return the same results
without logging anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

import mlflow
import pandas as pd
from matplotlib.figure import Figure

from l6pipeline.nn import EpochResult
from l6pipeline.tracking import log_metrics
from l6pipeline.vision.augment import AugmentConfig
from l6pipeline.vision.data import ImageSet, load_mnist_digits
from l6pipeline.vision.galleries import galleries, load_photo
from l6pipeline.vision.study import (
    StudyConfig,
    StudyResult,
    StudySettings,
    augmentation_experiment,
    comparison_figure,
    digit_subsets,
    experiment_difference,
    grid_configs,
    loss_curves_figure,
    run_grid,
    summary_table,
)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def _transform_config(transforms: Mapping[str, Any], overrides: Mapping | None) -> AugmentConfig:
    return AugmentConfig.from_params({**transforms, **(overrides or {})})


def _settings(
    transforms: Mapping[str, Any], digits: Mapping[str, Any], model: Mapping, train: Mapping
) -> StudySettings:
    augment = {**transforms, **(digits.get("transforms") or {})}
    return StudySettings.from_params({"train": train, "model": model, "augment": augment})


# --------------------------------------------------------------------------------------------
# MLflow child runs
# --------------------------------------------------------------------------------------------


class _ChildRunTracker:
    """Logs one configuration's epochs and final numbers to the active (child) run."""

    def epoch(self, result: EpochResult) -> None:
        log_metrics(result.as_dict(), step=result.epoch)

    def finish(self, result: StudyResult) -> None:
        # train_loss and valid_loss already have their per-epoch history: not logged again.
        per_epoch = set(result.final.as_dict())
        log_metrics({k: v for k, v in result.final_metrics().items() if k not in per_epoch})


def child_runs(group: str, shared_params: Mapping[str, Any]):
    """A ``track`` factory for :func:`l6pipeline.vision.study.run_grid`.

    Each configuration gets a nested run named ``"<group>: <label>"``, tagged with the group,
    holding the configuration's and the shared parameters. Without an active parent run
    (outside ``kedro run``) nothing is logged.
    """

    @contextmanager
    def _run(config: StudyConfig, label: str) -> Iterator[_ChildRunTracker]:
        tags = {"l6pipeline.pipeline": "augmentation", "l6pipeline.group": group}
        with mlflow.start_run(run_name=f"{group}: {label}", nested=True, tags=tags):
            mlflow.log_params({**shared_params, **config.as_params(), "label": label})
            yield _ChildRunTracker()

    def track(config: StudyConfig, label: str):
        if mlflow.active_run() is None:
            return nullcontext(None)
        return _run(config, label)

    return track


def _shared_params(settings: StudySettings, n_train: int, n_valid: int) -> dict[str, Any]:
    train = settings.train
    params: dict[str, Any] = {
        "n_train": n_train,
        "n_valid": n_valid,
        "epochs": train.epochs,
        "batch_size": train.batch_size,
        "lr": train.lr,
        "seed": train.seed,
        "widths": list(settings.widths),
    }
    params.update({f"augment.{k}": v for k, v in vars(settings.augment).items()})
    return params


# --------------------------------------------------------------------------------------------
# Nodes
# --------------------------------------------------------------------------------------------


def split_digits(digits: Mapping[str, Any]) -> tuple[ImageSet, ImageSet]:
    """The small, class-balanced training subset and the validation set of real MNIST digits."""
    train, valid = digit_subsets(
        load_mnist_digits(), digits["n_train"], digits["n_valid"], digits["split_seed"]
    )
    logger.info("digits: %d to train on, %d to validate on", len(train), len(valid))
    return train, valid


def photo_galleries(transforms: Mapping[str, Any], gallery: Mapping[str, Any]) -> dict[str, Figure]:
    """The galleries of a photo: scikit-image's cat, or ``gallery.photo`` (a path)."""
    image = load_photo(gallery.get("photo"), size=gallery["photo_size"])
    config = _transform_config(transforms, None)
    return galleries(
        image, config, n=gallery["n"], seed=gallery["seed"], padding_rows=gallery["padding_rows"]
    )


def digit_galleries(
    train: ImageSet,
    transforms: Mapping[str, Any],
    digits: Mapping[str, Any],
    gallery: Mapping[str, Any],
) -> dict[str, Figure]:
    """The galleries of one training digit; ``all.png`` uses the digits' set (no flip)."""
    wanted = train.classes.index(str(gallery["digit_class"]))
    index = int((train.labels == wanted).nonzero()[0])
    config = _transform_config(transforms, digits.get("transforms"))
    return galleries(
        train.images[index],
        config,
        n=gallery["n"],
        seed=gallery["seed"],
        padding_rows=gallery["padding_rows"],
    )


def run_augmentation_experiment(
    train: ImageSet,
    valid: ImageSet,
    transforms: Mapping[str, Any],
    digits: Mapping[str, Any],
    model: Mapping[str, Any],
    experiment: Mapping[str, Any],
) -> tuple[pd.DataFrame, Figure]:
    """The same CNN, seed and epochs without and with augmentation; the difference reported.

    Returns the table (``without``, ``with`` and their difference ``with - without``) and the
    validation accuracy / loss curves of both. The differences also go to the parent run as
    ``augmentation.experiment.<metric>_difference``.
    """
    settings = _settings(transforms, digits, model, experiment["train"])
    base = StudyConfig(**{**experiment["config"], "augment": False})
    track = child_runs("experiment", _shared_params(settings, len(train), len(valid)))
    results = augmentation_experiment(train, valid, settings, base, track)
    difference = experiment_difference(results)
    log_metrics(difference, prefix="augmentation.experiment.")
    table = summary_table(results)
    diff_row = {"label": "with - without"}
    diff_row.update({k.removesuffix("_difference"): v for k, v in difference.items()})
    table = pd.concat([table, pd.DataFrame([diff_row])], ignore_index=True)
    logger.info(
        "augmentation changes final validation accuracy by %+.3f (%.3f -> %.3f)",
        difference["valid_accuracy_difference"],
        results[0].summary()["valid_accuracy"],
        results[1].summary()["valid_accuracy"],
    )
    title = (
        f"{len(train)} digits, {settings.train.epochs} epochs, {base.name.replace(' aug=off', '')}"
        f": augmentation {difference['valid_accuracy_difference']:+.3f} accuracy"
    )
    return table, comparison_figure(results, title=title)


def run_regularization_study(
    train: ImageSet,
    valid: ImageSet,
    transforms: Mapping[str, Any],
    digits: Mapping[str, Any],
    model: Mapping[str, Any],
    study: Mapping[str, Any],
) -> tuple[pd.DataFrame, Figure]:
    """Every configuration of the grid (weight decay x dropout x batch norm x augmentation).

    One node loops over the configurations (rather than one namespaced pipeline each) because
    the grid is a parameter: its size is only known once parameters are resolved, after the
    pipelines are built. Returns the summary table and the train/validation loss curves.
    """
    settings = _settings(transforms, digits, model, study["train"])
    grid = study["grid"]
    configs = grid_configs(dict(study["custom_grid"]) if grid == "custom" else grid)
    logger.info("regularization study: %d configurations", len(configs))
    track = child_runs("study", _shared_params(settings, len(train), len(valid)))
    results = run_grid(configs, train, valid, settings, track)
    table = summary_table(results)
    best = table.loc[table["valid_accuracy"].idxmax()]
    log_metrics(
        {"best_valid_accuracy": best["valid_accuracy"], "configs": len(configs)},
        prefix="augmentation.study.",
    )
    logger.info("best configuration: %s (%.3f)", best["label"], best["valid_accuracy"])
    return table, loss_curves_figure(results)
