"""Interpreting a trained CNN: heatmaps for many images, top losses, the pointing game report.

fast.ai's ``ClassificationInterpretation`` (``top_losses``, ``plot_top_losses`` with heatmaps)
and the lesson's ``hook_output`` heatmaps, for a whole test set: :func:`heatmaps_in_chunks`
computes the channel-mean and Grad-CAM maps of the last conv block in chunks (so a large image
folder never holds every activation and gradient at once), :func:`prediction_heatmaps` draws
them for correct and for the most confidently wrong predictions, and :func:`pointing_game_report`
scores them on canvases where the object's box is known. No Kedro, no MLflow here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from l6pipeline.core.nn.device import cpu_threads
from l6pipeline.core.nn.training import TrainConfig
from l6pipeline.core.params import Parameters, check_choice, check_int, known_params, nested
from l6pipeline.vision.cnn.classifier import CNNConfig, TrainedModel
from l6pipeline.vision.cnn.metrics import accuracy
from l6pipeline.vision.images.data import ImageSet
from l6pipeline.vision.interpretation.heatmaps import (
    channel_mean_heatmap,
    feature_geometry,
    grad_cam,
    upsample,
)
from l6pipeline.vision.interpretation.localization import (
    CanvasConfig,
    CanvasSet,
    chance_level,
    grow_boxes,
    pointing_game,
    pointing_hits,
)
from l6pipeline.vision.plotting.images import heatmap_grid

logger = logging.getLogger(__name__)

HEATMAP_BATCH = 256  # images per chunk of heatmaps


def spread(index: torch.Tensor, n: int) -> torch.Tensor:
    """At most ``n`` of ``index``, evenly spaced (a test set ordered by class: every class)."""
    if len(index) <= n:
        return index
    return index[torch.linspace(0, len(index) - 1, n).round().long()]


def top_losses(logits: torch.Tensor, labels: torch.Tensor, n: int) -> torch.Tensor:
    """Indices of the ``n`` wrong predictions with the largest loss (fast.ai's ``top_losses``)."""
    losses = F.cross_entropy(logits, labels, reduction="none")
    wrong = torch.nonzero(logits.argmax(dim=1) != labels).flatten()
    return wrong[losses[wrong].argsort(descending=True)][:n]


def heatmaps_in_chunks(
    trained: TrainedModel,
    images: torch.Tensor,
    target: torch.Tensor | None = None,
    align: bool = True,
    num_threads: int | None = None,
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Channel-mean and Grad-CAM heatmaps of the last conv block at image size, and the logits.

    ``target``: the class Grad-CAM explains per image (``None``: the predicted one). ``align``
    places each heatmap cell on its receptive field's centre (:func:`feature_geometry`).
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


def prediction_heatmaps(
    trained: TrainedModel,
    test: ImageSet,
    logits: torch.Tensor,
    n_correct: int,
    n_wrong: int,
    align: bool = True,
    num_threads: int | None = None,
) -> dict[str, Figure]:
    """Channel-mean and Grad-CAM overlays for correct and for wrong test predictions.

    Grad-CAM explains the *predicted* class (why the model said what it said). Correct ones:
    spread evenly over the test set (so over the classes); wrong ones: the most confidently
    wrong first (:func:`top_losses`). A group with no prediction in it has no figure.
    """
    preds = logits.argmax(dim=1)
    probs = logits.softmax(dim=1)
    groups = {
        "correct": spread(torch.nonzero(preds == test.labels).flatten(), n_correct),
        "wrong": top_losses(logits, test.labels, n_wrong),
    }
    out = {}
    for name, index in groups.items():
        if len(index) == 0:
            logger.info("no %s test predictions to show", name)
            continue
        images = test.images[index]
        heat, _ = heatmaps_in_chunks(trained, images, None, align, num_threads)
        titles = [
            f"{test.classes[int(test.labels[i])]} -> {test.classes[int(preds[i])]} "
            f"({float(probs[i, preds[i]]):.2f})"
            for i in index
        ]
        out[f"heatmaps_{name}.png"] = heatmap_grid(
            images,
            heat,
            titles,
            f"{name} test predictions (true -> predicted (prob)); heatmaps of the last conv "
            f"block, Grad-CAM for the predicted class",
        )
    return out


@dataclass(frozen=True)
class HeatmapSettings(Parameters, what="heatmaps"):
    """The ``cnn.classifier.heatmaps`` parameters: how many correct and wrong test predictions
    :func:`prediction_heatmaps` draws, and whether each heatmap cell is aligned."""

    n_correct: int = 8
    n_wrong: int = 8
    align: bool = True  # place each heatmap cell on its receptive field's centre

    def __post_init__(self) -> None:
        check_int("n_correct", self.n_correct, minimum=0)
        check_int("n_wrong", self.n_wrong, minimum=0)
        check_choice("align", self.align, (True, False))


@dataclass(frozen=True)
class ClassifierSettings(Parameters, what="classifier"):
    """The ``cnn.classifier`` parameters: the CNN, its training (with a random shift of up to
    ``max_shift`` pixels), and the heatmaps drawn of its test predictions."""

    model: CNNConfig = field(default_factory=CNNConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    max_shift: int = 0
    heatmaps: HeatmapSettings = field(default_factory=HeatmapSettings)

    def __post_init__(self) -> None:
        check_int("max_shift", self.max_shift, minimum=0)


@dataclass(frozen=True)
class PointingGame:
    """How the pointing game is played: Grad-CAM's class, alignment, tolerance, what is shown."""

    target: str = "label"  # label: Grad-CAM for the true class | predicted
    align: bool = True
    tolerance: int = 0  # pixels a hit may lie outside the box
    n_show: int = 8
    box: str = "ink"  # only named in the figures' titles

    def __post_init__(self) -> None:
        check_choice("target", self.target, ("label", "predicted"))
        check_int("tolerance", self.tolerance, minimum=0)
        check_int("n_show", self.n_show, minimum=1)


@dataclass(frozen=True)
class LocalizationSettings:
    """The ``cnn.localization`` parameters: the canvases, the pointing game, and the CNN that
    is trained on them. Every key belongs to one of them; an unknown key is an error."""

    canvas: CanvasConfig = field(default_factory=CanvasConfig)
    game: PointingGame = field(default_factory=PointingGame)
    model: CNNConfig = field(default_factory=CNNConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    max_shift: int = 0

    def __post_init__(self) -> None:
        check_int("max_shift", self.max_shift, minimum=0)

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> LocalizationSettings:
        canvas_keys = set(CanvasConfig.__dataclass_fields__)
        game_keys = set(PointingGame.__dataclass_fields__)
        known = canvas_keys | game_keys | {"model", "train", "max_shift"}
        values = known_params(params, known, "localization")
        return cls(
            canvas=CanvasConfig(**{k: v for k, v in values.items() if k in canvas_keys}),
            game=PointingGame(**{k: v for k, v in values.items() if k in game_keys}),
            model=nested("model", CNNConfig.from_params, values.get("model") or {}),
            train=nested("train", TrainConfig.from_params, values.get("train") or {}),
            max_shift=values.get("max_shift", 0),
        )


def pointing_game_report(
    localizer: TrainedModel,
    test: CanvasSet,
    game: PointingGame,
    num_threads: int | None = None,
) -> tuple[dict[str, float], dict[str, Figure]]:
    """Pointing-game scores of both heatmaps next to chance, test accuracy, and figures.

    Scores: ``channel_mean``, ``grad_cam``, ``chance`` (box area / canvas area) and the
    localizer's ``test_accuracy``. Figures: examples spread over the test canvases and
    Grad-CAM's misses, boxes drawn and each heatmap's maximum marked.
    """
    labels = test.labels if game.target == "label" else None
    heat, logits = heatmaps_in_chunks(localizer, test.images, labels, game.align, num_threads)
    size, tol = test.size, game.tolerance
    scores = {
        "channel_mean": pointing_game(heat["channel mean"], test.boxes, size, tol),
        "grad_cam": pointing_game(heat["Grad-CAM"], test.boxes, size, tol),
        "chance": chance_level(test.boxes, size, tol),
        "test_accuracy": accuracy(logits, test.labels),
    }
    misses = torch.nonzero(pointing_hits(heat["Grad-CAM"], test.boxes, size, tol) < 0.5).flatten()
    out = {}
    for name, what, index in (
        ("pointing_game", "examples", spread(torch.arange(len(test)), game.n_show)),
        ("grad_cam_misses", "Grad-CAM misses", spread(misses, game.n_show)),
    ):
        if len(index) == 0:
            continue
        out[f"{name}.png"] = heatmap_grid(
            test.images[index],
            {k: v[index] for k, v in heat.items()},
            [test.classes[int(test.labels[i])] for i in index],
            f"{what}: green box = the digit's {game.box} box, + = heatmap maximum; "
            f"hits: channel mean {scores['channel_mean']:.3f}, Grad-CAM {scores['grad_cam']:.3f}, "
            f"chance {scores['chance']:.3f}",
            boxes=grow_boxes(test.boxes[index], tol, size),
        )
    return scores, out
