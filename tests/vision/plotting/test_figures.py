"""The shared vision figures draw what they say: panels, titles and data match the input."""

from __future__ import annotations

import numpy as np
import torch

from l6pipeline.vision.plotting.curves import training_curves
from l6pipeline.vision.plotting.images import heatmap_grid


def _titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def _shown(ax) -> np.ndarray:
    return np.asarray(ax.images[0].get_array())


def test_heatmap_grid_draws_each_heatmap_over_its_image():
    images = torch.rand(3, 1, 16, 16)
    heat = {"channel mean": torch.rand(3, 16, 16), "Grad-CAM": torch.zeros(3, 16, 16)}
    boxes = torch.tensor([[0, 0, 4, 4]] * 3)
    fig = heatmap_grid(images, heat, ["a", "b", "c"], "title", boxes=boxes)
    assert len(fig.axes) == 9
    assert _titles(fig)[:3] == ["a", "b", "c"]  # row 0: the images, titled
    np.testing.assert_allclose(_shown(fig.axes[1]), images[1, 0].numpy(), atol=1e-6)
    # rows 1 and 2: the image in gray under the heatmap, a box and the maximum on each
    overlay = fig.axes[4]
    assert len(overlay.images) == 2 and len(overlay.patches) == 1 and len(overlay.lines) == 1
    assert fig._suptitle.get_text() == "title"


def test_training_curves_per_model():
    rows = [
        {"epoch": e, "train_loss": 1.0 - e / 10, "valid_loss": 1.0, "accuracy": 0.5}
        for e in range(3)
    ]
    fig = training_curves({"a": rows, "b": rows})
    assert _titles(fig) == [
        "a: loss",
        "b: loss",
        "a: validation accuracy",
        "b: validation accuracy",
    ]
    train_line = fig.axes[0].lines[0]
    assert list(train_line.get_xdata()) == [1, 2, 3]
    np.testing.assert_allclose(train_line.get_ydata(), [1.0, 0.9, 0.8])
