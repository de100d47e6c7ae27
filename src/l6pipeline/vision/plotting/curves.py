"""Training curves of the vision pipelines' models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def training_curves(histories: Mapping[str, Sequence[Mapping[str, float]]]) -> Figure:
    """Train/valid loss and valid accuracy per epoch, one column per trained model."""
    fig, axes = plt.subplots(
        2, max(len(histories), 1), figsize=(5.5 * max(len(histories), 1), 7), squeeze=False
    )
    for col, (name, history) in enumerate(histories.items()):
        epochs = [row["epoch"] + 1 for row in history]
        ax = axes[0, col]
        ax.plot(epochs, [row["train_loss"] for row in history], label="train")
        ax.plot(epochs, [row["valid_loss"] for row in history], label="valid")
        ax.set_title(f"{name}: loss")
        ax.set_xlabel("epoch")
        ax.legend()
        ax = axes[1, col]
        ax.plot(epochs, [row["accuracy"] for row in history], color="C2")
        ax.set_title(f"{name}: validation accuracy")
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
