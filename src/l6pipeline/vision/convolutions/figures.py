"""Figures of the convolution lesson: the spreadsheet, the convolution as a matrix, kernels,
padding, stride and pooling (each returns a Figure; Kedro's ``MatplotlibDataset`` saves it)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from l6pipeline.vision.convolutions.kernels import (
    CONV_PADDING_MODES,
    KERNELS,
    apply_kernel,
    average_pool,
    kernel_sum,
    lesson_edge_kernel,
    output_shape,
    pad,
)
from l6pipeline.vision.convolutions.spreadsheet import SheetWeights, conv_matrix, tied_weight_index
from l6pipeline.vision.images.photos import to_grayscale
from l6pipeline.vision.plotting.images import to_display

# ---------------------------------------------------------------------------------------------
# Cells, like a spreadsheet with conditional formatting
# ---------------------------------------------------------------------------------------------


def _cells(
    ax,
    values: torch.Tensor,
    title: str = "",
    cmap: str = "Reds",
    annotate: bool = False,
    fmt: str = "{:.2g}",
    signed: bool = False,
    fontsize: float = 7,
) -> None:
    """A 2-D array as coloured cells with grid lines (and their numbers when ``annotate``)."""
    array = values.detach().cpu().double().numpy()
    if signed:
        bound = max(float(np.abs(array).max()), 1e-12)
        ax.imshow(array, cmap=cmap, vmin=-bound, vmax=bound)
    else:
        ax.imshow(
            array, cmap=cmap, vmin=min(0.0, float(array.min())), vmax=max(float(array.max()), 1e-12)
        )
    h, w = array.shape
    ax.set_xticks(np.arange(-0.5, w, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, h, 1), minor=True)
    ax.grid(which="minor", color="0.85", linewidth=0.3 if max(h, w) > 12 else 0.8)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if annotate:
        low, high = float(array.min()), float(array.max())
        bound = max(abs(low), abs(high), 1e-12)
        for (i, j), v in np.ndenumerate(array):
            # dark cells (far from the colour map's pale middle / low end) get white text
            strength = abs(v) / bound if signed else (v - low) / max(high - low, 1e-12)
            color = "white" if strength > 0.6 else "black"
            text = fmt.format(v + 0.0)  # + 0.0: no "-0"
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=color)
    ax.set_title(title, fontsize=9)


def _filter_cells(ax, weights: torch.Tensor, title: str, fmt: str) -> None:
    """A filter's weights, numbered, red for positive and blue for negative."""
    _cells(ax, weights, title, cmap="RdBu_r", annotate=True, fmt=fmt, signed=True, fontsize=9)


def spreadsheet_figure(stages: Mapping[str, torch.Tensor], weights: SheetWeights) -> Figure:
    """Each stage of the lesson's sheet: digit, filters, ReLU maps, max-pool, dense output."""
    fig = plt.figure(figsize=(18, 11))
    grid = fig.add_gridspec(3, 8, height_ratios=[1, 1, 1])
    ax = fig.add_subplot(grid[0:2, 0:2])
    _cells(ax, stages["input"][0], f"input {tuple(stages['input'].shape[1:])}", cmap="Greys")
    names = ("top edge", "left edge")
    for k in range(2):
        _filter_cells(
            fig.add_subplot(grid[k, 2]),
            weights.conv1[k, 0],
            f"conv1 filter {k} ({names[k]})",
            "{:g}",
        )
        relu1 = stages["relu1"][k]
        _cells(fig.add_subplot(grid[k, 3]), relu1, f"MAX(0, conv1) ch {k} {tuple(relu1.shape)}")
        for c in range(2):
            _filter_cells(
                fig.add_subplot(grid[k, 4 + c]),
                weights.conv2[k, c],
                f"conv2 filter {k}, input ch {c}",
                "{:.1f}",
            )
        relu2 = stages["relu2"][k]
        _cells(fig.add_subplot(grid[k, 6]), relu2, f"MAX(0, conv2) ch {k} {tuple(relu2.shape)}")
        pool = stages["pool"][k]
        _cells(fig.add_subplot(grid[k, 7]), pool, f"2x2 max-pool ch {k} {tuple(pool.shape)}")
        _cells(
            fig.add_subplot(grid[2, 4 + 2 * k : 6 + 2 * k]),
            weights.dense[k],
            f"dense weights for pool ch {k}",
            cmap="RdBu_r",
            signed=True,
        )
    ax = fig.add_subplot(grid[2, 0:4])
    ax.axis("off")
    ax.text(
        0.0,
        0.5,
        "Each cell = MAX(0, SUMPRODUCT(3x3 window, filter)); conv2 filters span both channels\n"
        "(a 2x3x3 window). Valid convolutions (no padding): 28 -> 26 -> 24; 2x2 max-pool: 24 -> 12.\n"
        f"Dense output = SUMPRODUCT(pool, dense weights) = {float(stages['output']):.4f}",
        fontsize=11,
        va="center",
    )
    fig.suptitle("Lesson 6's convolution spreadsheet, in Python", fontsize=14)
    fig.tight_layout()
    return fig


def toeplitz_figure(digit_weight: torch.Tensor, digit_hw: tuple[int, int] = (28, 28)) -> Figure:
    """A convolution as a matrix: "some entries are zero and some weights are tied".

    Left: a 3x3 filter (weights a..i) over a 4x4 image is a 4x16 matrix; equal letters are the
    same (tied) weight, blanks are fixed zeros. Right: ``digit_weight`` (``[1,1,3,3]``) over a
    28x28 digit as a 676x784 matrix, the slots holding a weight in black.
    """
    fig, axes = plt.subplots(1, 2, figsize=(16, 6.5), gridspec_kw={"width_ratios": [1.6, 1]})
    index = tied_weight_index((1, 1, 3, 3), (4, 4)).numpy()
    letters = "abcdefghi"
    colors = plt.get_cmap("tab10")(np.arange(9))
    cmap = ListedColormap(np.vstack([[1, 1, 1, 1], colors]))
    ax = axes[0]
    ax.imshow(index + 1, cmap=cmap, vmin=0, vmax=9, aspect="equal")
    for (r, c), v in np.ndenumerate(index):
        ax.text(
            c,
            r,
            letters[v] if v >= 0 else "0",
            ha="center",
            va="center",
            fontsize=10,
            color="black" if v >= 0 else "0.7",
        )
    ax.set_xticks(
        range(16), [f"x{r}{c}" for r in range(4) for c in range(4)], fontsize=7, rotation=90
    )
    ax.set_yticks(range(4), [f"y{r}{c}" for r in range(2) for c in range(2)], fontsize=8)
    ax.set_title(
        "3x3 filter (a..i) on a 4x4 image = 4x16 matrix x flattened image\n"
        "each row: the 9 weights, shifted; the rest are zeros",
        fontsize=10,
    )
    tied = tied_weight_index(tuple(digit_weight.shape), digit_hw)
    matrix = conv_matrix(digit_weight, digit_hw)
    slots = int((tied >= 0).sum())
    ax = axes[1]
    ax.imshow((tied >= 0).numpy(), cmap="Greys", aspect="auto", interpolation="nearest")
    ax.set_title(
        f"3x3 filter on a {digit_hw[0]}x{digit_hw[1]} digit: a {tuple(matrix.shape)} matrix\n"
        f"{slots:,} weight slots (black) of {matrix.numel():,} entries "
        f"({100 * (1 - slots / matrix.numel()):.2f}% fixed zeros), "
        f"all tied to the same {digit_weight[0].numel()} weights",
        fontsize=10,
    )
    ax.set_xlabel("input pixel (flattened)")
    ax.set_ylabel("output cell (flattened)")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Kernels, padding, stride, pooling
# ---------------------------------------------------------------------------------------------


def _show_response(ax, image: torch.Tensor, signed: bool, title: str) -> None:
    """Kernel outputs: sum-1 kernels in [0, 1] gray; sum-0 (edge) kernels on a diverging map.

    The diverging map saturates at the 99.5th percentile of the absolute response, so a few
    strong pixels (e.g. at a zero-padded border) do not wash out the rest.
    """
    if signed:
        gray = image.mean(0)
        bound = max(float(torch.quantile(gray.abs().flatten().float(), 0.995)), 1e-12)
        ax.imshow(gray.numpy(), cmap="RdBu_r", vmin=-bound, vmax=bound)
    else:
        ax.imshow(to_display(image), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.axis("off")


def _sum_label(kernel: torch.Tensor) -> str:
    """The kernel's sum to 6 decimals (float32 leaves ~1e-7 of rounding in -5/3 / 6)."""
    return f"{round(kernel_sum(kernel), 6) + 0.0:g}"


def kernel_gallery(
    image: torch.Tensor,
    kernels: Mapping[str, torch.Tensor],
    title: str,
    lesson_kernel: torch.Tensor | None = None,
    ncols: int = 4,
    padding: str = "reflection",
) -> Figure:
    """``image`` and its convolution with each kernel (padding 1: same size), sums shown.

    ``lesson_kernel`` (``[1, C, 3, 3]``) mixes the channels into one, as in the lesson. Padding
    is by reflection here so the image's border does not look like an edge.
    """
    panels: list[tuple[str, torch.Tensor, bool]] = [("input", image, False)]
    if lesson_kernel is not None and lesson_kernel.shape[1] == image.shape[0]:
        out = apply_kernel(image, lesson_kernel, mode=padding)
        label = f"lesson edge, [1,{image.shape[0]},3,3] (sum {_sum_label(lesson_kernel)})"
        panels.append((label, out, True))
    for name, kernel in kernels.items():
        total = kernel_sum(kernel)
        out = apply_kernel(image, kernel, mode=padding)
        panels.append((f"{name} (sum {_sum_label(kernel)})", out, abs(total) < 0.5))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.2 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (name, out, signed) in zip(axes.flat, panels, strict=False):
        _show_response(ax, out if signed else out.clamp(0, 1), signed, name)
    fig.suptitle(title + " (edge kernels, sum 0: blue < 0 < red)")
    fig.tight_layout()
    return fig


def padding_figure(image: torch.Tensor, kernel: torch.Tensor, amount: int = 1) -> Figure:
    """Padding modes (zeros, reflection, replicate) and no padding, with their output sizes."""
    h, w = image.shape[-2:]
    rows = [("none (valid)", None), *((mode, mode) for mode in CONV_PADDING_MODES)]
    fig, axes = plt.subplots(len(rows), 2, figsize=(7, 3.2 * len(rows)), squeeze=False)
    for (label, mode), (ax_in, ax_out) in zip(rows, axes, strict=True):
        padded = image if mode is None else pad(image, amount, mode)
        out = apply_kernel(
            image, kernel, padding=0 if mode is None else amount, mode=mode or "zeros"
        )
        expected = output_shape((h, w), kernel.shape[-1], 1, 0 if mode is None else amount)
        ax_in.imshow(to_display(padded), cmap="gray", vmin=0, vmax=1)
        ax_in.set_title(
            f"{label}: input {h}x{w} -> padded {padded.shape[-2]}x{padded.shape[-1]}", fontsize=9
        )
        ax_in.axis("off")
        _show_response(
            ax_out,
            out,
            abs(kernel_sum(kernel)) < 0.5,
            f"3x3 conv -> {out.shape[-2]}x{out.shape[-1]} (formula: {expected[0]}x{expected[1]})",
        )
    fig.suptitle(
        f"Padding by {amount} pixels, then a 3x3 kernel: out = floor((n + 2p - k) / s) + 1"
    )
    fig.tight_layout()
    return fig


def stride_figure(image: torch.Tensor, kernel: torch.Tensor) -> Figure:
    """The same kernel with stride 1 and stride 2 (padding 1): stride 2 halves each side."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), squeeze=False)
    h, w = image.shape[-2:]
    axes[0, 0].imshow(to_display(image), cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title(f"input {h}x{w}", fontsize=9)
    axes[0, 0].axis("off")
    for ax, stride in zip(axes[0, 1:], (1, 2), strict=True):
        out = apply_kernel(image, kernel, padding=1, stride=stride)
        expected = output_shape((h, w), kernel.shape[-1], stride, 1)
        _show_response(
            ax,
            out,
            abs(kernel_sum(kernel)) < 0.5,
            f"stride {stride}: {out.shape[-2]}x{out.shape[-1]} (formula {expected[0]}x{expected[1]})",
        )
    fig.suptitle("Stride: the filter jumps s pixels; stride 2 ~ halves height and width")
    fig.tight_layout()
    return fig


def pooling_figure(image: torch.Tensor, sizes: Sequence[int | None] = (2, 4, 8, None)) -> Figure:
    """Average pooling ``k x k`` (stride k) and adaptive pooling to 1x1 (a CNN's last step)."""
    fig, axes = plt.subplots(
        1, len(sizes) + 1, figsize=(3.4 * (len(sizes) + 1), 3.6), squeeze=False
    )
    h, w = image.shape[-2:]
    axes[0, 0].imshow(to_display(image), cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title(f"input {h}x{w}", fontsize=9)
    for ax, size in zip(axes[0, 1:], sizes, strict=True):
        out = average_pool(image, size)
        ax.imshow(to_display(out), cmap="gray", vmin=0, vmax=1)
        label = f"avg pool {size}x{size}" if size else "adaptive avg pool -> 1x1"
        ax.set_title(f"{label}: {out.shape[-2]}x{out.shape[-1]}", fontsize=9)
    for ax in axes.flat:
        ax.axis("off")
    fig.suptitle("Average pooling: the mean of each k x k block")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Heatmaps
# ---------------------------------------------------------------------------------------------


def kernel_figures(
    photo: torch.Tensor,
    small_photo: torch.Tensor,
    digit: torch.Tensor,
    padding_kernel: str = "box_blur",
    padding: int = 8,
    stride_kernel: str = "outline",
    pool_sizes: Sequence[int | None] = (2, 4, 8, None),
) -> dict[str, Figure]:
    """Every kernel figure, by file name: the hand-made kernels on a photo and on a digit, and
    padding modes, stride and average pooling on a small photo (where pixels show)."""
    others = {name: k for name, k in KERNELS.items() if name != "lesson_edge"}
    return {
        "kernels_photo.png": kernel_gallery(
            photo, others, "3x3 kernels on a photo (per channel)", lesson_edge_kernel(3)
        ),
        "kernels_digit.png": kernel_gallery(
            digit, others, "3x3 kernels on a digit", lesson_edge_kernel(1)
        ),
        "padding_modes.png": padding_figure(small_photo, KERNELS[padding_kernel], padding),
        "stride.png": stride_figure(to_grayscale(small_photo), KERNELS[stride_kernel]),
        "average_pooling.png": pooling_figure(small_photo, pool_sizes),
    }
