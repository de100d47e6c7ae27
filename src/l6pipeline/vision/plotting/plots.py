"""Matplotlib figures of image batches, shared by the CNN and augmentation pipelines."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure


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
