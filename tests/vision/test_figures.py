"""Every CNN figure builds from small inputs (the pipeline run checks the files and artifacts)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

from l6pipeline.vision import figures
from l6pipeline.vision.kernels import KERNELS, lesson_edge_kernel
from l6pipeline.vision.spreadsheet import sheet_weights, spreadsheet_forward


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_spreadsheet_and_matrix_figures():
    digit = torch.rand(28, 28, generator=torch.Generator().manual_seed(0))
    weights = sheet_weights()
    assert isinstance(
        figures.spreadsheet_figure(spreadsheet_forward(digit, weights), weights), Figure
    )
    fig = figures.toeplitz_figure(weights.conv1[:1])
    assert "(676, 784)" in fig.axes[1].get_title()


def test_kernel_padding_stride_and_pooling_figures():
    photo = torch.rand(3, 20, 30)
    digit = torch.rand(1, 28, 28)
    kernels = {k: v for k, v in KERNELS.items() if k != "lesson_edge"}
    fig = figures.kernel_gallery(photo, kernels, "photo", lesson_edge_kernel(3))
    titles = [ax.get_title() for ax in fig.axes]
    assert "lesson edge, [1,3,3,3] (sum 0)" in titles
    assert "sharpen (sum 1)" in titles and "outline (sum 0)" in titles
    figures.kernel_gallery(digit, kernels, "digit", lesson_edge_kernel(1))
    fig = figures.padding_figure(photo, KERNELS["box_blur"], 2)
    titles = " ".join(ax.get_title() for ax in fig.axes)
    assert "22x32 (formula: 22x32)" in titles and "18x28 (formula: 18x28)" in titles
    figures.stride_figure(photo[:1], KERNELS["outline"])
    figures.pooling_figure(photo, [2, None])


def test_heatmap_grid_and_training_curves():
    images = torch.rand(3, 1, 16, 16)
    heat = {"channel mean": torch.rand(3, 16, 16), "Grad-CAM": torch.zeros(3, 16, 16)}
    boxes = torch.tensor([[0, 0, 4, 4]] * 3)
    fig = figures.heatmap_grid(images, heat, ["a", "b", "c"], "title", boxes=boxes)
    assert len(fig.axes) == 9
    rows = [{"epoch": e, "train_loss": 1.0, "valid_loss": 1.0, "accuracy": 0.5} for e in range(3)]
    assert isinstance(figures.training_curves({"a": rows, "b": rows}), Figure)
