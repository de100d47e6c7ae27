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

import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import pandas as pd
import torch.nn.functional as F

from l6pipeline.core.executors import Executor, LocalExecutor
from l6pipeline.core.nn import EpochResult, TrainConfig, fit_one_cycle, seed_everything
from l6pipeline.core.nn.training import evaluate
from l6pipeline.vision.augmentation.augment import BatchAugmenter
from l6pipeline.vision.augmentation.study_config import GRID_KEYS, StudyConfig, StudySettings
from l6pipeline.vision.cnn.metrics import accuracy
from l6pipeline.vision.cnn.models import SmallCNN
from l6pipeline.vision.images.data import ImageSet, stratified_split


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


def digit_subsets(digits: ImageSet, n_train: int, n_valid: int, seed: int) -> tuple[ImageSet, ...]:
    """A class-balanced training subset of ``n_train`` and a disjoint validation set of ``n_valid``."""
    total = len(digits)
    if n_train <= 0 or n_valid <= 0 or n_train + n_valid > total:
        raise ValueError(f"need 0 < n_train, n_valid and n_train + n_valid <= {total}")
    fractions = [n_train / total, n_valid / total]
    rest = 1.0 - sum(fractions)
    parts = stratified_split(digits.labels, [*fractions, rest] if rest > 1e-9 else fractions, seed)
    return digits.subset(parts[0]), digits.subset(parts[1])


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
