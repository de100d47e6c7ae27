"""Node adapters: typed parameters in, figures and tables out; MLflow child runs per configuration.

The domain code (:mod:`l6pipeline.vision.augmentation`: ``augment``, ``galleries``, ``study``)
knows nothing of Kedro or MLflow. Each trained configuration becomes a nested MLflow run
(:func:`l6pipeline.core.tracking.child_runs`) under the run kedro-mlflow opens, logged from this
process whichever executor trained it; in plain Python (tests, notebooks) nothing is logged.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from l6pipeline.core.executors import ExecutorSettings
from l6pipeline.core.params import takes_configs
from l6pipeline.core.tracking import child_runs, log_metrics
from l6pipeline.vision.augmentation.augment import AugmentConfig
from l6pipeline.vision.augmentation.galleries import (
    GallerySettings,
    digit_gallery_image,
    galleries,
)
from l6pipeline.vision.augmentation.study import (
    augmentation_experiment,
    digit_subsets,
    experiment_table,
    run_grid,
    summary_table,
)
from l6pipeline.vision.augmentation.study_config import (
    DigitSettings,
    ExperimentSettings,
    GridSettings,
    StudyModel,
    StudySettings,
)
from l6pipeline.vision.augmentation.study_figures import comparison_figure, loss_curves_figure
from l6pipeline.vision.images.data import ImageSet, load_mnist_digits
from l6pipeline.vision.images.photos import load_photo, square

logger = logging.getLogger(__name__)
TAGS = {"l6pipeline.pipeline": "augmentation"}


def _shared(settings: StudySettings, train: ImageSet, valid: ImageSet) -> dict[str, Any]:
    return {"n_train": len(train), "n_valid": len(valid), **settings.as_params()}


@takes_configs
def split_digits(digits: DigitSettings) -> tuple[ImageSet, ImageSet]:
    """The small, class-balanced training subset and the validation set of real MNIST digits."""
    train, valid = digit_subsets(
        load_mnist_digits(), digits.n_train, digits.n_valid, digits.split_seed
    )
    logger.info("digits: %d to train on, %d to validate on", len(train), len(valid))
    return train, valid


@takes_configs
def photo_galleries(transforms: AugmentConfig, gallery: GallerySettings) -> dict[str, Figure]:
    """The galleries of a photo: scikit-image's cat, or ``gallery.photo`` (a path)."""
    image = square(load_photo(gallery.photo), gallery.photo_size)
    return galleries(image, transforms, gallery.n, gallery.seed, gallery.padding_rows)


@takes_configs
def digit_galleries(
    train: ImageSet, transforms: AugmentConfig, digits: DigitSettings, gallery: GallerySettings
) -> dict[str, Figure]:
    """The galleries of one training digit; ``all.png`` uses the digits' set (no flip)."""
    config = digits.transforms.applied_to(transforms)
    image = digit_gallery_image(train, gallery.digit_class)
    return galleries(image, config, gallery.n, gallery.seed, gallery.padding_rows)


@takes_configs
def run_augmentation_experiment(
    train: ImageSet,
    valid: ImageSet,
    transforms: AugmentConfig,
    digits: DigitSettings,
    model: StudyModel,
    experiment: ExperimentSettings,
    executor: ExecutorSettings,
) -> tuple[pd.DataFrame, Figure]:
    """The same CNN, seed and epochs without and with augmentation; the difference reported.

    Returns the table (``without``, ``with`` and their difference ``with - without``) and the
    validation accuracy / loss curves of both. The differences also go to the parent run as
    ``augmentation.experiment.<metric>_difference``.
    """
    settings = digits.settings(transforms, model, experiment.train)
    base = experiment.base
    track = child_runs("experiment", _shared(settings, train, valid), TAGS)
    with executor.make() as engine:
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


@takes_configs
def run_regularization_study(
    train: ImageSet,
    valid: ImageSet,
    transforms: AugmentConfig,
    digits: DigitSettings,
    model: StudyModel,
    study: GridSettings,
    executor: ExecutorSettings,
) -> tuple[pd.DataFrame, Figure]:
    """Every configuration of the grid (weight decay x dropout x batch norm x augmentation).

    One node runs the grid (rather than one namespaced pipeline per configuration) because the
    grid is a parameter, only known once parameters are resolved, after the pipelines are
    built; ``executor`` says where the configurations train (a loop here, or Ray tasks).
    Returns the summary table and the train/validation loss curves.
    """
    settings = digits.settings(transforms, model, study.train)
    configs = study.configs()
    logger.info("regularization study: %d configurations", len(configs))
    track = child_runs("study", _shared(settings, train, valid), TAGS)
    with executor.make() as engine:
        results = run_grid(configs, train, valid, settings, track, executor=engine)
    table = summary_table(results)
    best = table.loc[table["valid_accuracy"].idxmax()]
    log_metrics(
        {"best_valid_accuracy": best["valid_accuracy"], "configs": len(configs)},
        prefix="augmentation.study.",
    )
    logger.info("best configuration: %s (%.3f)", best["label"], best["valid_accuracy"])
    return table, loss_curves_figure(results)
