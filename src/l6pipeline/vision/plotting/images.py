"""Matplotlib figures of image batches and heatmaps over them, shared by the vision pipelines."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from l6pipeline.vision.images.photos import to_grayscale


def to_display(image: torch.Tensor) -> np.ndarray:
    """``[C, H, W]`` in [0, 1] -> ``[H, W]`` (one channel) or ``[H, W, 3]`` for ``imshow``."""
    image = image.detach().cpu().float().clamp(0, 1)
    return (image[0] if image.shape[0] == 1 else image.permute(1, 2, 0)).numpy()


def image_grid(
    images: torch.Tensor | Sequence[torch.Tensor],
    titles: Sequence[str] | None = None,
    ncols: int = 3,
    cell_size: float = 2.5,
    suptitle: str | None = None,
    cmap: str = "gray",
) -> Figure:
    """A grid of ``[C, H, W]`` images with optional titles (the lesson's ``show_batch``)."""
    n = len(images)
    nrows = max(1, math.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(cell_size * ncols, cell_size * nrows), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(to_display(images[i]), cmap=cmap, vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def heatmap_grid(
    images: torch.Tensor,
    heatmaps: Mapping[str, torch.Tensor],
    titles: Sequence[str],
    suptitle: str,
    boxes: torch.Tensor | None = None,
    alpha: float = 0.55,
) -> Figure:
    """One column per image: the image, then each heatmap (already at image size) over it.

    Heatmaps are rescaled to [0, 1] per image for display; ``boxes`` (top, left, bottom,
    right) are drawn when given, with the heatmap's maximum as a cross.
    """
    n = len(images)
    rows = 1 + len(heatmaps)
    fig, axes = plt.subplots(rows, max(n, 1), figsize=(1.9 * max(n, 1), 2.0 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for j in range(n):
        gray = to_grayscale(images[j].cpu())[0].numpy()
        axes[0, j].imshow(to_display(images[j]), cmap="gray", vmin=0, vmax=1)
        axes[0, j].set_title(titles[j], fontsize=8)
        for i, (name, heat) in enumerate(heatmaps.items(), start=1):
            ax = axes[i, j]
            hm = heat[j].float()
            span = float(hm.max() - hm.min())
            hm = (hm - hm.min()) / span if span > 0 else torch.zeros_like(hm)
            ax.imshow(gray, cmap="gray", vmin=0, vmax=1)
            ax.imshow(hm.numpy(), cmap="magma", alpha=alpha, vmin=0, vmax=1)
            if boxes is not None:
                top, left, bottom, right = (int(v) for v in boxes[j])
                ax.add_patch(
                    Rectangle(
                        (left - 0.5, top - 0.5),
                        right - left,
                        bottom - top,
                        fill=False,
                        edgecolor="lime",
                        linewidth=1.2,
                    )
                )
                y, x = divmod(int(heat[j].argmax()), heat[j].shape[-1])
                ax.plot(x, y, marker="+", color="cyan", markersize=9, markeredgewidth=2)
            if j == 0:
                ax.text(
                    -0.08,
                    0.5,
                    name,
                    transform=ax.transAxes,
                    rotation=90,
                    ha="right",
                    va="center",
                    fontsize=9,
                )
    fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    return fig
