"""Every convolution figure draws what it says: panels, titles and image data match the input."""

from __future__ import annotations

import numpy as np
import torch

from l6pipeline.vision.convolutions import figures
from l6pipeline.vision.convolutions.kernels import KERNELS, lesson_edge_kernel
from l6pipeline.vision.convolutions.spreadsheet import sheet_weights, spreadsheet_forward


def _titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def _shown(ax) -> np.ndarray:
    return np.asarray(ax.images[0].get_array())


def test_spreadsheet_and_matrix_figures():
    digit = torch.rand(28, 28, generator=torch.Generator().manual_seed(0))
    weights = sheet_weights()
    stages = spreadsheet_forward(digit, weights)
    fig = figures.spreadsheet_figure(stages, weights)
    titles = _titles(fig)
    assert titles[0] == "input (28, 28)"
    np.testing.assert_allclose(_shown(fig.axes[0]), digit.numpy(), atol=1e-6)
    for k in (0, 1):
        assert f"MAX(0, conv1) ch {k} (26, 26)" in titles
        assert f"MAX(0, conv2) ch {k} (24, 24)" in titles
        assert f"2x2 max-pool ch {k} (12, 12)" in titles
    pool = next(ax for ax in fig.axes if ax.get_title() == "2x2 max-pool ch 1 (12, 12)")
    np.testing.assert_allclose(_shown(pool), stages["pool"][1].numpy(), atol=1e-6)
    text = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert f"{float(stages['output']):.4f}" in text
    assert fig._suptitle.get_text() == "Lesson 6's convolution spreadsheet, in Python"
    fig = figures.toeplitz_figure(weights.conv1[:1])
    assert "(676, 784)" in fig.axes[1].get_title()


def test_kernel_padding_stride_and_pooling_figures():
    photo = torch.rand(3, 20, 30)
    digit = torch.rand(1, 28, 28)
    kernels = {k: v for k, v in KERNELS.items() if k != "lesson_edge"}
    fig = figures.kernel_gallery(photo, kernels, "photo", lesson_edge_kernel(3))
    titles = _titles(fig)
    assert "lesson edge, [1,3,3,3] (sum 0)" in titles
    assert "sharpen (sum 1)" in titles and "outline (sum 0)" in titles
    # input, the lesson's kernel, then every other kernel: one panel with an image each
    assert sum(bool(ax.images) for ax in fig.axes) == 2 + len(kernels)
    np.testing.assert_allclose(_shown(fig.axes[0]), photo.permute(1, 2, 0).numpy(), atol=1e-6)
    fig = figures.kernel_gallery(digit, kernels, "digit", lesson_edge_kernel(1))
    assert "lesson edge, [1,1,3,3] (sum 0)" in _titles(fig)
    assert fig._suptitle.get_text().startswith("digit")
    fig = figures.padding_figure(photo, KERNELS["box_blur"], 2)
    titles = " ".join(_titles(fig))
    assert "22x32 (formula: 22x32)" in titles and "18x28 (formula: 18x28)" in titles
    assert [ax.get_title().split(":")[0] for ax in fig.axes[::2]] == [
        "none (valid)",
        "zeros",
        "reflection",
        "replicate",
    ]
    fig = figures.stride_figure(photo[:1], KERNELS["outline"])
    assert _titles(fig) == [
        "input 20x30",
        "stride 1: 20x30 (formula 20x30)",
        "stride 2: 10x15 (formula 10x15)",
    ]
    fig = figures.pooling_figure(photo, [2, None])
    assert _titles(fig) == ["input 20x30", "avg pool 2x2: 10x15", "adaptive avg pool -> 1x1: 1x1"]
    np.testing.assert_allclose(
        _shown(fig.axes[1]), photo.reshape(3, 10, 2, 15, 2).mean((2, 4)).permute(1, 2, 0), atol=1e-6
    )


def test_kernel_figures_are_the_five_named_figures():
    out = figures.kernel_figures(
        torch.rand(3, 20, 30), torch.rand(3, 16, 24), torch.rand(1, 28, 28)
    )
    assert set(out) == {
        "kernels_photo.png",
        "kernels_digit.png",
        "padding_modes.png",
        "stride.png",
        "average_pooling.png",
    }
    assert _titles(out["stride.png"])[0] == "input 16x24"  # the small photo, in gray
    assert _shown(out["stride.png"].axes[0]).ndim == 2
