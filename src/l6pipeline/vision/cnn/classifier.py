"""Training and evaluating the small CNN on an :class:`ImageSet` (no Kedro, no MLflow here).

The model is :class:`~l6pipeline.vision.cnn.models.SmallCNN` (3x3 convolutions with stride 2, batch
norm, ReLU, our dropout, adaptive average pooling, a linear head) trained by the project's
one-cycle AdamW loop. The only augmentation is an optional random shift of each training image
by up to ``max_shift`` pixels (zero-filled), which the default MNIST run uses: with 4,000 digits,
a one-pixel jitter is worth about half a point of test accuracy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from l6pipeline.core.nn import EpochResult, TrainConfig, fit_one_cycle, predict, seed_everything
from l6pipeline.core.nn.device import cpu_threads
from l6pipeline.core.params import (
    ParameterError,
    Parameters,
    check_choice,
    check_each,
    check_int,
    check_number,
)
from l6pipeline.vision.cnn.metrics import accuracy
from l6pipeline.vision.cnn.models import SmallCNN
from l6pipeline.vision.images.data import ImageSet


@dataclass(frozen=True)
class CNNConfig(Parameters, what="model"):
    """The architecture of :class:`SmallCNN` (the input channels and classes come from data).

    What fast.ai's ``simple_cnn(actns, kernel_szs, strides, bn)`` takes, by name.
    """

    widths: Sequence[int] = (16, 32, 64, 128)
    strides: Sequence[int] | None = None  # None: all 2
    p_dropout: float = 0.1
    batch_norm: bool = True

    def __post_init__(self) -> None:
        """A value out of range names its key before any model is built."""
        check_each(check_int, "widths", self.widths, minimum=1)
        if not self.widths:
            raise ParameterError("widths", "must list at least one width", self.widths)
        object.__setattr__(self, "widths", tuple(self.widths))
        if self.strides is not None:
            check_each(check_int, "strides", self.strides, minimum=1)
            if len(self.strides) != len(self.widths):
                rule = f"must be null or one stride per width ({len(self.widths)})"
                raise ParameterError("strides", rule, self.strides)
            object.__setattr__(self, "strides", tuple(self.strides))
        check_number("p_dropout", self.p_dropout, minimum=0, maximum=1)
        check_choice("batch_norm", self.batch_norm, (True, False))

    def build(self, in_channels: int, n_classes: int) -> SmallCNN:
        return SmallCNN(
            in_channels, n_classes, self.widths, self.strides, self.p_dropout, self.batch_norm
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "widths": list(self.widths),
            "strides": None if self.strides is None else list(self.strides),
            "p_dropout": self.p_dropout,
            "batch_norm": self.batch_norm,
        }


def random_shift(max_shift: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """A batch transform moving each image by a random ``(dy, dx)`` in ``[-max_shift, max_shift]``.

    Pixels shifted in are zeros (black, the MNIST background). Uses torch's global generator,
    which :func:`~l6pipeline.core.nn.fit_one_cycle` seeds: the same seed gives the same shifts.
    """
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")

    def _shift(x: torch.Tensor) -> torch.Tensor:
        if max_shift == 0:
            return x
        n, c, h, w = x.shape
        padded = F.pad(x, (max_shift,) * 4)
        dy = torch.randint(0, 2 * max_shift + 1, (n,)).to(x.device)
        dx = torch.randint(0, 2 * max_shift + 1, (n,)).to(x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        channel = torch.arange(c, device=x.device)[None, :, None, None]
        return padded[batch, channel, rows, cols]

    return _shift


@dataclass
class TrainedModel:
    """A trained model with what it takes to rebuild it and its per-epoch history."""

    model: SmallCNN
    config: CNNConfig
    in_channels: int
    classes: tuple[str, ...]
    history: list[EpochResult] = field(default_factory=list)

    def history_rows(self) -> list[dict[str, float]]:
        return [{"epoch": r.epoch, **r.as_dict()} for r in self.history]

    def checkpoint(self) -> dict[str, Any]:
        """A plain dict (config, classes, CPU state dict) to pickle and rebuild from."""
        return {
            "model_config": self.config.as_dict(),
            "in_channels": self.in_channels,
            "classes": list(self.classes),
            "state_dict": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
        }

    @classmethod
    def from_checkpoint(cls, checkpoint: Mapping[str, Any]) -> TrainedModel:
        config = CNNConfig.from_params(checkpoint["model_config"])
        classes = tuple(checkpoint["classes"])
        model = config.build(checkpoint["in_channels"], len(classes))
        model.load_state_dict(checkpoint["state_dict"])
        return cls(model.eval(), config, checkpoint["in_channels"], classes)


def train_classifier(
    train: ImageSet | tuple[torch.Tensor, torch.Tensor],
    valid: ImageSet | tuple[torch.Tensor, torch.Tensor],
    classes: Sequence[str],
    model_config: CNNConfig,
    train_config: TrainConfig,
    max_shift: int = 0,
    on_epoch_end: Callable[[EpochResult], None] | None = None,
) -> TrainedModel:
    """Build a :class:`SmallCNN` (seeded) and train it with one-cycle AdamW and cross-entropy
    (fast.ai's ``Learner(data, simple_cnn(...), metrics=accuracy).fit_one_cycle``)."""
    x_train, y_train = (train.images, train.labels) if isinstance(train, ImageSet) else train
    x_valid, y_valid = (valid.images, valid.labels) if isinstance(valid, ImageSet) else valid
    in_channels = x_train.shape[1]
    seed_everything(train_config.seed)  # the initial weights depend on the seed only
    model = model_config.build(in_channels, len(classes))
    history = fit_one_cycle(
        model,
        F.cross_entropy,
        (x_train, y_train),
        (x_valid, y_valid),
        train_config,
        metrics={"accuracy": accuracy},
        on_epoch_end=on_epoch_end,
        train_transform=random_shift(max_shift) if max_shift else None,
    )
    model.eval()
    return TrainedModel(model, model_config, in_channels, tuple(classes), history)


def predict_logits(model: nn.Module, images: torch.Tensor, config: TrainConfig) -> torch.Tensor:
    """Logits for all ``images`` in eval mode, on the configured device and thread count."""
    with cpu_threads(config.num_threads):
        return predict(model, (images,), config.batch_size * 4, config.device)


def evaluate_classifier(
    model: nn.Module, test: ImageSet, config: TrainConfig
) -> tuple[dict[str, float], torch.Tensor]:
    """Test accuracy, loss and size (fast.ai's ``learn.validate`` on the test set); the logits."""
    logits = predict_logits(model, test.images, config)
    metrics = {
        "test_accuracy": accuracy(logits, test.labels),
        "test_loss": float(F.cross_entropy(logits, test.labels)),
        "test_size": float(len(test)),
    }
    return metrics, logits
