"""What each regularizer does on a small training set: the augmentation experiment and the grid.

Every configuration trains the same :class:`~l6pipeline.vision.cnn.models.SmallCNN` from the same
seed on the same small, class-balanced subset of digits for the same number of epochs, so the
only differences are the regularizers: weight decay, dropout, batch norm and data augmentation.
The configurations are independent, so an executor (:mod:`l6pipeline.core.executors`: a loop here,
or Ray tasks) trains them; the results are the same either way. Nothing here talks to MLflow:
a ``track`` callback (see :class:`Tracker`) receives each finished configuration's epochs and
result in this process, where the node adapters open one child run per configuration.

Two training losses are reported. ``train_loss`` is fit_one_cycle's running mean over the
epoch's training batches, as the model saw them: augmented, with dropout active. The clean
``train_eval_loss`` is the final model's loss on the un-augmented training images in eval mode,
comparable with ``valid_loss``; their difference is the generalization gap.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from l6pipeline.core.executors import Executor, LocalExecutor
from l6pipeline.core.nn import EpochResult, TrainConfig, fit_one_cycle, seed_everything
from l6pipeline.core.nn.training import evaluate
from l6pipeline.vision.augmentation.augment import AugmentConfig, BatchAugmenter
from l6pipeline.vision.cnn.metrics import accuracy
from l6pipeline.vision.cnn.models import SmallCNN
from l6pipeline.vision.images.data import ImageSet, stratified_split

# The study's grids. "small" is the default run's (16 configurations, about a minute on two
# cores); "full" is a finer one for a longer look.
GRIDS: dict[str, dict[str, list]] = {
    "small": {
        "wd": [0.0, 0.1],
        "p_dropout": [0.0, 0.5],
        "batch_norm": [False, True],
        "augment": [False, True],
    },
    "full": {
        "wd": [0.0, 0.01, 0.1],
        "p_dropout": [0.0, 0.25, 0.5],
        "batch_norm": [False, True],
        "augment": [False, True],
    },
}
GRID_KEYS = ("wd", "p_dropout", "batch_norm", "augment")


@dataclass(frozen=True)
class StudyConfig:
    """One combination of regularizers."""

    wd: float = 0.01
    p_dropout: float = 0.1
    batch_norm: bool = True
    augment: bool = False

    @property
    def name(self) -> str:
        return (
            f"wd={self.wd:g} p={self.p_dropout:g} "
            f"bn={'on' if self.batch_norm else 'off'} aug={'on' if self.augment else 'off'}"
        )

    def as_params(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StudyResult:
    """The per-epoch history of one configuration and its final clean train loss."""

    config: StudyConfig
    history: list[EpochResult]
    train_eval_loss: float
    train_eval_accuracy: float
    seconds: float
    label: str = ""

    @property
    def final(self) -> EpochResult:
        return self.history[-1]

    def summary(self) -> dict[str, Any]:
        """One row of the summary table: the configuration, then the final numbers."""
        accuracies = [r.metrics["accuracy"] for r in self.history]
        return {
            "label": self.label or self.config.name,
            **self.config.as_params(),
            "epochs": len(self.history),
            "train_loss": self.final.train_loss,
            "train_eval_loss": self.train_eval_loss,
            "valid_loss": self.final.valid_loss,
            "gap": self.final.valid_loss - self.train_eval_loss,
            "train_eval_accuracy": self.train_eval_accuracy,
            "valid_accuracy": accuracies[-1],
            "best_valid_accuracy": max(accuracies),
            "seconds": self.seconds,
        }

    def final_metrics(self) -> dict[str, float]:
        """The summary's numbers, for MLflow."""
        row = self.summary()
        return {
            k: float(v)
            for k, v in row.items()
            if k not in ("label", *GRID_KEYS) and isinstance(v, int | float)
        }


class Tracker(Protocol):
    """Receives the epochs and the result of one configuration (e.g. an MLflow child run)."""

    def epoch(self, result: EpochResult) -> None: ...

    def finish(self, result: StudyResult) -> None: ...


TrackFactory = Callable[[StudyConfig, str], AbstractContextManager[Tracker | None]]


@dataclass(frozen=True)
class StudySettings:
    """What every configuration shares: the model's shape, training and augmentation."""

    train: TrainConfig = field(default_factory=TrainConfig)
    widths: tuple[int, ...] = (16, 32, 64)
    augment: AugmentConfig = field(default_factory=lambda: AugmentConfig(do_flip=False))

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> StudySettings:
        """From ``{train: {...}, model: {widths: [...]}, augment: {...}}``."""
        unknown = set(params) - {"train", "model", "augment"}
        if unknown:
            raise ValueError(f"unknown study settings: {sorted(unknown)}")
        model = dict(params.get("model") or {})
        widths = tuple(model.pop("widths", (16, 32, 64)))
        if model:
            raise ValueError(f"unknown model parameters: {sorted(model)}")
        return cls(
            train=TrainConfig.from_params(params.get("train") or {}),
            widths=widths,
            augment=AugmentConfig.from_params(params.get("augment")),
        )

    def as_params(self) -> dict[str, Any]:
        """What every configuration shares, flat, for a child run's parameters."""
        train = self.train
        return {
            "epochs": train.epochs,
            "batch_size": train.batch_size,
            "lr": train.lr,
            "seed": train.seed,
            "widths": list(self.widths),
            **{f"augment.{k}": v for k, v in asdict(self.augment).items()},
        }


def digit_subsets(digits: ImageSet, n_train: int, n_valid: int, seed: int) -> tuple[ImageSet, ...]:
    """A class-balanced training subset of ``n_train`` and a disjoint validation set of ``n_valid``."""
    total = len(digits)
    if n_train <= 0 or n_valid <= 0 or n_train + n_valid > total:
        raise ValueError(f"need 0 < n_train, n_valid and n_train + n_valid <= {total}")
    fractions = [n_train / total, n_valid / total]
    rest = 1.0 - sum(fractions)
    parts = stratified_split(digits.labels, [*fractions, rest] if rest > 1e-9 else fractions, seed)
    return digits.subset(parts[0]), digits.subset(parts[1])


def grid_configs(
    grid: str | Mapping[str, Sequence[Any]] = "small",
) -> list[StudyConfig]:
    """Every combination of a named grid (``"small"``, ``"full"``) or of explicit value lists.

    Keys left out of an explicit grid keep :class:`StudyConfig`'s default.
    """
    if isinstance(grid, str) and grid not in GRIDS:
        raise ValueError(f"unknown grid {grid!r}; choose from {sorted(GRIDS)} or give lists")
    spec = GRIDS[grid] if isinstance(grid, str) else dict(grid)
    unknown = set(spec) - set(GRID_KEYS)
    if unknown:
        raise ValueError(f"unknown grid keys: {sorted(unknown)}")
    keys = [k for k in GRID_KEYS if k in spec]
    values = [list(spec[k]) for k in keys]
    return [
        StudyConfig(**dict(zip(keys, combo, strict=True))) for combo in itertools.product(*values)
    ]


def train_one(
    config: StudyConfig,
    train: ImageSet,
    valid: ImageSet,
    settings: StudySettings,
    on_epoch_end: Callable[[EpochResult], None] | None = None,
    label: str = "",
) -> StudyResult:
    """Train one configuration from ``settings.train.seed``; validation is never augmented."""
    start = time.perf_counter()
    seed_everything(settings.train.seed)  # the same initial weights for the same architecture
    model = SmallCNN(
        in_channels=train.images.shape[1],
        n_classes=len(train.classes),
        widths=settings.widths,
        p_dropout=config.p_dropout,
        batch_norm=config.batch_norm,
    )
    train_config = TrainConfig(**{**asdict(settings.train), "wd": config.wd})
    transform = BatchAugmenter(settings.augment) if config.augment else None
    history = fit_one_cycle(
        model,
        F.cross_entropy,
        train=(train.images, train.labels),
        valid=(valid.images, valid.labels),
        config=train_config,
        metrics={"accuracy": accuracy},
        on_epoch_end=on_epoch_end,
        train_transform=transform,
    )
    clean = evaluate(
        model, F.cross_entropy, (train.images, train.labels), metrics={"accuracy": accuracy}
    )
    return StudyResult(
        config=config,
        history=history,
        train_eval_loss=clean.valid_loss,
        train_eval_accuracy=clean.metrics["accuracy"],
        seconds=time.perf_counter() - start,
        label=label,
    )


class StudyError(RuntimeError):
    """Some configurations failed; ``finished`` holds the results of all the others."""

    def __init__(self, message: str, finished: list[StudyResult]) -> None:
        super().__init__(message)
        self.finished = finished


def _train_labelled(
    item: tuple[StudyConfig, str], train: ImageSet, valid: ImageSet, settings: StudySettings
) -> StudyResult:
    """One configuration's training, as the executors call it (module level: Ray pickles it)."""
    config, label = item
    return train_one(config, train, valid, settings, label=label)


def _record(result: StudyResult, track: TrackFactory | None) -> None:
    """Hand a finished configuration's epochs and result to its tracker (e.g. a child run)."""
    if track is None:
        return
    with track(result.config, result.label) as tracker:
        if tracker is not None:
            for epoch in result.history:
                tracker.epoch(epoch)
            tracker.finish(result)


def run_grid(
    configs: Iterable[StudyConfig],
    train: ImageSet,
    valid: ImageSet,
    settings: StudySettings,
    track: TrackFactory | None = None,
    labels: Sequence[str] | None = None,
    executor: Executor | None = None,
) -> list[StudyResult]:
    """Train every configuration on ``executor`` (a loop here by default, or Ray tasks).

    Each configuration is :func:`train_one`, seeded, wherever it runs. As each one ends (in
    any order), ``track(config, label)`` wraps the replay of its epochs and result, in this
    process. If some fail, every other one still finishes and is tracked, then a
    :class:`StudyError` names the failed ones. Results come back in ``configs`` order.
    """
    configs = list(configs)
    labels = list(labels) if labels is not None else [c.name for c in configs]
    items = list(zip(configs, labels, strict=True))
    results: dict[int, StudyResult] = {}
    failures: list[tuple[str, BaseException]] = []
    for outcome in (executor or LocalExecutor()).map_unordered(
        _train_labelled, items, train, valid, settings
    ):
        if outcome.error is not None:
            failures.append((labels[outcome.index], outcome.error))
            continue
        _record(outcome.value, track)
        results[outcome.index] = outcome.value
    finished = [results[i] for i in sorted(results)]
    if failures:
        failed = "; ".join(f"{label!r}: {type(e).__name__}: {e}" for label, e in failures)
        raise StudyError(
            f"{len(failures)} of {len(configs)} configurations failed ({failed}); the "
            f"{len(finished)} that finished are kept (tracked as usual)",
            finished,
        ) from failures[0][1]
    return finished


def augmentation_experiment(
    train: ImageSet,
    valid: ImageSet,
    settings: StudySettings,
    base: StudyConfig,
    track: TrackFactory | None = None,
    executor: Executor | None = None,
) -> list[StudyResult]:
    """The same configuration without, then with augmentation (labels ``without``, ``with``)."""
    configs = [
        StudyConfig(**{**base.as_params(), "augment": False}),
        StudyConfig(**{**base.as_params(), "augment": True}),
    ]
    return run_grid(
        configs, train, valid, settings, track, labels=["without", "with"], executor=executor
    )


def summary_table(results: Sequence[StudyResult]) -> pd.DataFrame:
    """One row per configuration, in run order."""
    return pd.DataFrame([r.summary() for r in results])


def experiment_difference(results: Sequence[StudyResult]) -> dict[str, float]:
    """``with - without`` for the experiment's final and best numbers (positive accuracy: gain)."""
    by_label = {r.label: r.summary() for r in results}
    without, with_ = by_label["without"], by_label["with"]
    keys = ("valid_accuracy", "best_valid_accuracy", "valid_loss", "train_eval_loss", "gap")
    return {f"{k}_difference": float(with_[k] - without[k]) for k in keys}


def experiment_table(results: Sequence[StudyResult]) -> tuple[pd.DataFrame, dict[str, float]]:
    """The experiment's table (``without``, ``with``, ``with - without``) and the differences."""
    difference = experiment_difference(results)
    diff_row = {"label": "with - without"}
    diff_row.update({k.removesuffix("_difference"): v for k, v in difference.items()})
    table = pd.concat([summary_table(results), pd.DataFrame([diff_row])], ignore_index=True)
    return table, difference


def history_frame(results: Sequence[StudyResult]) -> pd.DataFrame:
    """Long per-epoch table: label, epoch, train_loss, valid_loss, accuracy."""
    rows = [
        {"label": r.label or r.config.name, "epoch": e.epoch + 1, **e.as_dict()}
        for r in results
        for e in r.history
    ]
    return pd.DataFrame(rows)


def comparison_figure(results: Sequence[StudyResult], title: str | None = None) -> Figure:
    """Validation accuracy and losses per epoch, one line per result (the with/without plot)."""
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    for r in results:
        epochs = np.arange(1, len(r.history) + 1)
        label = r.label or r.config.name
        (line,) = ax_acc.plot(epochs, [e.metrics["accuracy"] for e in r.history], label=label)
        ax_loss.plot(
            epochs,
            [e.valid_loss for e in r.history],
            color=line.get_color(),
            label=f"{label}: valid",
        )
        ax_loss.plot(
            epochs,
            [e.train_loss for e in r.history],
            color=line.get_color(),
            linestyle="--",
            label=f"{label}: train",
        )
    ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_loss.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss (train: dashed)")
    ax_acc.legend()
    ax_loss.legend(fontsize=8)
    for ax in (ax_acc, ax_loss):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def loss_curves_figure(results: Sequence[StudyResult], ncols: int = 4) -> Figure:
    """Train (running, dashed) and validation loss per epoch: one panel per configuration."""
    n = len(results)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows), sharex=True, sharey=True, squeeze=False
    )
    top = max(max(max(e.train_loss, e.valid_loss) for e in r.history) for r in results)
    for ax, r in zip(axes.flat, results, strict=False):
        epochs = np.arange(1, len(r.history) + 1)
        ax.plot(epochs, [e.train_loss for e in r.history], "--", label="train")
        ax.plot(epochs, [e.valid_loss for e in r.history], label="valid")
        acc = r.final.metrics["accuracy"]
        ax.set_title(f"{r.config.name}\nvalid acc {acc:.3f}", fontsize=8)
        ax.set_ylim(0, min(top, 3.0) * 1.05)
        ax.grid(alpha=0.3)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("cross-entropy")
    for ax in axes[-1, :]:
        ax.set_xlabel("epoch")
    axes.flat[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("training loss (dashed: mean over the epoch's batches) vs validation loss")
    fig.tight_layout()
    return fig
