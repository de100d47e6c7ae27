"""The lesson's spreadsheet: four ways to compute a convolution, and the conv as a matrix."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from l6pipeline.vision.convolutions.spreadsheet import (
    METHODS,
    conv2d_im2col,
    conv2d_loops,
    conv2d_matrix,
    conv_matrix,
    conv_output_size,
    method_disagreement,
    sheet_weights,
    spreadsheet_forward,
    tied_weight_index,
)

ATOL = 1e-5


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3),
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 3),
    h=st.integers(3, 11),
    w=st.integers(3, 11),
    k=st.sampled_from([1, 2, 3]),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_four_convolutions_agree_on_random_inputs(
    n, c_in, c_out, h, w, k, stride, padding, bias, seed
):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c_in, h, w, generator=gen)
    weight = torch.randn(c_out, c_in, k, k, generator=gen)
    b = torch.randn(c_out, generator=gen) if bias else None
    expected = F.conv2d(x, weight, b, stride=stride, padding=padding)
    for name, conv in METHODS.items():
        got = conv(x, weight, b, stride=stride, padding=padding)
        assert got.shape == expected.shape, name
        torch.testing.assert_close(got, expected, atol=ATOL, rtol=1e-5, msg=name)


def test_the_loops_are_the_spreadsheet_formula_for_one_cell():
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    weight = torch.tensor([[[[1.0, 1, 1], [0, 0, 0], [-1, -1, -1]]]])
    out = conv2d_loops(x, weight)
    # SUMPRODUCT of the top-left 3x3 window: (0+1+2) - (10+11+12) = -30
    assert out[0, 0, 0, 0] == -30
    assert out.shape == (1, 1, 3, 3)


def test_im2col_columns_are_the_windows():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    weight = torch.zeros(1, 1, 3, 3)
    weight[0, 0, 1, 1] = 1.0  # picks each window's centre
    torch.testing.assert_close(conv2d_im2col(x, weight), x[:, :, 1:3, 1:3])


def test_conv_matrix_is_mostly_zeros_with_tied_weights():
    weight = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    matrix = conv_matrix(weight, (28, 28))
    assert matrix.shape == (26 * 26, 28 * 28)
    index = tied_weight_index((1, 1, 3, 3), (28, 28))
    # every row holds each of the 9 weights exactly once; all else is a structural zero
    assert ((index >= 0).sum(dim=1) == 9).all()
    for k in range(9):
        assert ((index == k).sum(dim=1) == 1).all()
    assert (index >= 0).float().mean() < 0.02
    # the first row: the top-left window of the flattened image
    cols = torch.nonzero(index[0] >= 0).flatten().tolist()
    assert cols == [0, 1, 2, 28, 29, 30, 56, 57, 58]
    assert matrix[0, cols].tolist() == list(range(1, 10))


def test_conv_matrix_with_padding_and_stride_has_fewer_slots_at_the_border():
    index = tied_weight_index((1, 1, 3, 3), (5, 5), stride=2, padding=1)
    assert index.shape == (3 * 3, 25)
    # the corner output cell sees a 2x2 corner of the image only (the rest is padding)
    assert int((index[0] >= 0).sum()) == 4
    assert int((index[4] >= 0).sum()) == 9  # the centre cell sees a full window


def test_conv_matrix_multichannel_matches_conv2d():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 2, 6, 7, generator=gen)
    weight = torch.randn(3, 2, 3, 3, generator=gen)
    torch.testing.assert_close(conv2d_matrix(x, weight, padding=1), F.conv2d(x, weight, padding=1))


@pytest.mark.parametrize("n", [5, 28, 64])
@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_output_size_formula_matches_pytorch(n, k, stride, padding):
    out = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=stride, padding=padding)
    assert out.shape[-1] == conv_output_size(n, k, stride, padding)


def test_spreadsheet_stages_have_the_sheets_shapes():
    digit = torch.rand(28, 28, generator=torch.Generator().manual_seed(1))
    stages = spreadsheet_forward(digit)
    assert stages["input"].shape == (1, 28, 28)
    assert stages["conv1"].shape == stages["relu1"].shape == (2, 26, 26)
    assert stages["conv2"].shape == stages["relu2"].shape == (2, 24, 24)
    assert stages["pool"].shape == (2, 12, 12)
    assert stages["output"].shape == ()
    assert (stages["relu1"] >= 0).all() and (stages["relu2"] >= 0).all()
    # max-pool by hand for one cell
    assert stages["pool"][1, 3, 4] == stages["relu2"][1, 6:8, 8:10].max()


def test_spreadsheet_is_the_same_computed_four_ways():
    digit = torch.rand(28, 28, generator=torch.Generator().manual_seed(2))
    weights = sheet_weights(seed=3)
    reference = spreadsheet_forward(digit, weights, "conv2d")
    for method in METHODS:
        stages = spreadsheet_forward(digit, weights, method)
        for name, value in reference.items():
            torch.testing.assert_close(stages[name], value, atol=ATOL, rtol=1e-5)
    assert max(method_disagreement(digit, weights).values()) < ATOL


def test_sheet_weights_are_the_lessons_edge_filters():
    weights = sheet_weights()
    assert weights.conv1.shape == (2, 1, 3, 3)
    assert weights.conv1[0, 0].tolist() == [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]
    assert weights.conv1[1, 0].tolist() == [[1, 0, -1], [1, 0, -1], [1, 0, -1]]
    assert weights.conv2.shape == (2, 2, 3, 3)  # each filter spans both channels
    assert weights.dense.shape == (2, 12, 12)
    torch.testing.assert_close(sheet_weights(seed=5).conv2, sheet_weights(seed=5).conv2)


def test_unknown_method_and_channel_mismatch_fail_loudly():
    with pytest.raises(ValueError, match="method"):
        spreadsheet_forward(torch.zeros(28, 28), method="excel")
    with pytest.raises(ValueError, match="channels"):
        conv2d_loops(torch.zeros(1, 2, 5, 5), torch.zeros(1, 3, 3, 3))
