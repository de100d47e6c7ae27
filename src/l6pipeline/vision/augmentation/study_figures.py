"""The study's figures: the with/without comparison and the loss curves per configuration."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from l6pipeline.vision.augmentation.study import StudyResult


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
