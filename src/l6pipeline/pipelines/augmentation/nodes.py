"""Node adapters: parameters in, figures and tables out; MLflow child runs per configuration.

The domain code (:mod:`l6pipeline.vision.augmentation.augment`, ``galleries``, ``study``) knows nothing of
Kedro or MLflow. Each trained configuration becomes a nested MLflow run
(:func:`l6pipeline.core.tracking.child_runs`) under the run kedro-mlflow opens, logged from this
process whichever executor trained it; in plain Python (tests, notebooks) nothing is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from l6pipeline.core.executors import make_executor
from l6pipeline.core.tracking import child_runs, log_metrics
from l6pipeline.vision.augmentation.augment import AugmentConfig
from l6pipeline.vision.augmentation.galleries import digit_gallery_image, galleries
from l6pipeline.vision.augmentation.study import (
    StudyConfig,
    StudySettings,
    augmentation_experiment,
    comparison_figure,
    digit_subsets,
    experiment_table,
    grid_configs,
    loss_curves_figure,
    run_grid,
    summary_table,
)
from l6pipeline.vision.images.data import ImageSet, load_mnist_digits
from l6pipeline.vision.images.photos import load_photo, square

logger = logging.getLogger(__name__)
TAGS = {"l6pipeline.pipeline": "augmentation"}


def _settings(transforms: Mapping, digits: Mapping, model: Mapping, train: Mapping):
    """The digits' typed settings: the transforms with the digits' overrides (no flip)."""
    augment = {**transforms, **(digits.get("transforms") or {})}
    return StudySettings.from_params({"train": train, "model": model, "augment": augment})


def _shared(settings: StudySettings, train: ImageSet, valid: ImageSet) -> dict[str, Any]:
    return {"n_train": len(train), "n_valid": len(valid), **settings.as_params()}


def split_digits(digits: Mapping[str, Any]) -> tuple[ImageSet, ImageSet]:
    """The small, class-balanced training subset and the validation set of real MNIST digits."""
    train, valid = digit_subsets(
        load_mnist_digits(), digits["n_train"], digits["n_valid"], digits["split_seed"]
    )
    logger.info("digits: %d to train on, %d to validate on", len(train), len(valid))
    return train, valid


def photo_galleries(transforms: Mapping[str, Any], gallery: Mapping[str, Any]) -> dict[str, Figure]:
    """The galleries of a photo: scikit-image's cat, or ``gallery.photo`` (a path)."""
    image = square(load_photo(gallery.get("photo")), gallery["photo_size"])
    config = AugmentConfig.from_params(transforms)
    return galleries(image, config, gallery["n"], gallery["seed"], gallery["padding_rows"])


def digit_galleries(
    train: ImageSet,
    transforms: Mapping[str, Any],
    digits: Mapping[str, Any],
    gallery: Mapping[str, Any],
) -> dict[str, Figure]:
    """The galleries of one training digit; ``all.png`` uses the digits' set (no flip)."""
    config = AugmentConfig.from_params({**transforms, **(digits.get("transforms") or {})})
    image = digit_gallery_image(train, str(gallery["digit_class"]))
    return galleries(image, config, gallery["n"], gallery["seed"], gallery["padding_rows"])


def run_augmentation_experiment(
    train: ImageSet,
    valid: ImageSet,
    transforms: Mapping[str, Any],
    digits: Mapping[str, Any],
    model: Mapping[str, Any],
    experiment: Mapping[str, Any],
    executor: Mapping[str, Any],
) -> tuple[pd.DataFrame, Figure]:
    """The same CNN, seed and epochs without and with augmentation; the difference reported.

    Returns the table (``without``, ``with`` and their difference ``with - without``) and the
    validation accuracy / loss curves of both. The differences also go to the parent run as
    ``augmentation.experiment.<metric>_difference``.
    """
    settings = _settings(transforms, digits, model, experiment["train"])
    base = StudyConfig(**{**experiment["config"], "augment": False})
    track = child_runs("experiment", _shared(settings, train, valid), TAGS)
    with make_executor(executor) as engine:
        results = augmentation_experiment(train, valid, settings, base, track, engine)
    table, difference = experiment_table(results)
    log_metrics(difference, prefix="augmentation.experiment.")
    logger.info(
        "augmentation changes final validation accuracy by %+.3f",
        difference["valid_accuracy_difference"],
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
    executor: Mapping[str, Any],
) -> tuple[pd.DataFrame, Figure]:
    """Every configuration of the grid (weight decay x dropout x batch norm x augmentation).

    One node runs the grid (rather than one namespaced pipeline per configuration) because the
    grid is a parameter, only known once parameters are resolved, after the pipelines are
    built; ``executor`` says where the configurations train (a loop here, or Ray tasks).
    Returns the summary table and the train/validation loss curves.
    """
    settings = _settings(transforms, digits, model, study["train"])
    grid = study["grid"]
    configs = grid_configs(dict(study["custom_grid"]) if grid == "custom" else grid)
    logger.info("regularization study: %d configurations", len(configs))
    track = child_runs("study", _shared(settings, train, valid), TAGS)
    with make_executor(executor) as engine:
        results = run_grid(configs, train, valid, settings, track, executor=engine)
    table = summary_table(results)
    best = table.loc[table["valid_accuracy"].idxmax()]
    log_metrics(
        {"best_valid_accuracy": best["valid_accuracy"], "configs": len(configs)},
        prefix="augmentation.study.",
    )
    logger.info("best configuration: %s (%.3f)", best["label"], best["valid_accuracy"])
    return table, loss_curves_figure(results)
