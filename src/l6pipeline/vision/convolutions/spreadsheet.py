"""The lesson's convolution spreadsheet (``conv-example.xlsx``) in Python, computed four ways.

Lesson 6 explains a convolution with a spreadsheet: a 28x28 digit, two hand-made 3x3 filters
(each output cell is ``MAX(0, SUMPRODUCT(window, filter))``), a second layer of two filters that
each span both channels of the first, a 2x2 max-pool and one dense output. Then it says a
convolution is "just a matrix multiply where some entries are zero and some weights are tied".

Every convolution here can be computed four ways that must agree:

- ``loops``: explicit sums over each 3x3 window (the spreadsheet's SUMPRODUCT per cell);
- ``im2col``: :func:`torch.nn.functional.unfold` copies every window into a column, then one
  matrix multiply by the flattened filters does all windows at once;
- ``conv2d``: PyTorch's :func:`torch.nn.functional.conv2d`;
- ``matrix``: the convolution as one (Toeplitz-like) matrix times the flattened image. Each row
  is one output cell; it is zero except where the filter lies over the image, and every row
  reuses the same few filter weights (tied weights).

Shapes follow PyTorch: images ``[N, C, H, W]``, filters ``[C_out, C_in, kH, kW]``. Padding here
is zero padding (the matrix form has no column for a padded pixel: it only ever multiplies 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from l6pipeline.core.params import Parameters, check_int, check_number
from l6pipeline.vision.images.photos import to_grayscale


def conv_output_size(
    n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a convolution along one axis: ``floor((n + 2p - d(k-1) - 1) / s) + 1``."""
    return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _check(x: torch.Tensor, weight: torch.Tensor) -> None:
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(
            f"expected x [N,C,H,W] and weight [O,C,kH,kW], got {tuple(x.shape)}, {tuple(weight.shape)}"
        )
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels but the filters span {weight.shape[1]}")


def conv2d_loops(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int = 1,
    padding: int = 0,
) -> torch.Tensor:
    """One output cell at a time: the sum of (window x filter) over its ``C x kH x kW`` window.

    Vectorized over images and output channels only; the loop over output positions is the
    spreadsheet's one formula per cell.
    """
    _check(x, weight)
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    xp = F.pad(x, (padding,) * 4)
    h_out = conv_output_size(h, kh, stride, padding)
    w_out = conv_output_size(w, kw, stride, padding)
    out = x.new_zeros(n, c_out, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            window = xp[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            # [N, 1, C, kH, kW] * [1, O, C, kH, kW] summed over the window -> [N, O]
            out[:, :, i, j] = (window[:, None] * weight[None]).sum(dim=(2, 3, 4))
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out


def conv2d_im2col(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int = 1,
    padding: int = 0,
) -> torch.Tensor:
    """``unfold`` (im2col: one column per window) then one matrix multiply by the filters."""
    _check(x, weight)
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)  # [N, C*kH*kW, L]
    out = weight.reshape(c_out, -1) @ cols  # [N, O, L]
    if bias is not None:
        out = out + bias[None, :, None]
    h_out = conv_output_size(h, kh, stride, padding)
    w_out = conv_output_size(w, kw, stride, padding)
    return out.reshape(n, c_out, h_out, w_out)


def conv2d_torch(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int = 1,
    padding: int = 0,
) -> torch.Tensor:
    """PyTorch's own convolution (the reference)."""
    _check(x, weight)
    return F.conv2d(x, weight, bias, stride=stride, padding=padding)


def tied_weight_index(
    weight_shape: tuple[int, int, int, int],
    in_hw: tuple[int, int],
    stride: int = 1,
    padding: int = 0,
) -> torch.Tensor:
    """Which filter weight each entry of the convolution matrix holds (``-1``: a fixed zero).

    Rows are output cells ``(o, i, j)`` and columns input pixels ``(c, y, x)``, both flattened
    in PyTorch order. Entry ``[row, col]`` is the flat index of ``weight[o, c, dy, dx]`` with
    ``y = i*stride + dy - padding`` and ``x = j*stride + dx - padding``, or -1 where the filter
    does not cover that pixel. Equal indices in different rows are the tied weights.
    """
    c_out, c_in, kh, kw = weight_shape
    h, w = in_hw
    h_out = conv_output_size(h, kh, stride, padding)
    w_out = conv_output_size(w, kw, stride, padding)
    index = torch.full((c_out * h_out * w_out, c_in * h * w), -1, dtype=torch.long)
    o, c, i, j, dy, dx = torch.meshgrid(
        *(torch.arange(n) for n in (c_out, c_in, h_out, w_out, kh, kw)), indexing="ij"
    )
    y = i * stride + dy - padding
    x = j * stride + dx - padding
    inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
    rows = ((o * h_out + i) * w_out + j)[inside]
    cols = ((c * h + y) * w + x)[inside]
    index[rows, cols] = (((o * c_in + c) * kh + dy) * kw + dx)[inside]
    return index


def conv_matrix(
    weight: torch.Tensor, in_hw: tuple[int, int], stride: int = 1, padding: int = 0
) -> torch.Tensor:
    """The convolution as a dense matrix ``[C_out*H_out*W_out, C_in*H*W]`` (mostly zeros)."""
    index = tied_weight_index(tuple(weight.shape), in_hw, stride, padding)
    flat = torch.cat([weight.reshape(-1), weight.new_zeros(1)])  # index -1 -> the appended 0
    return flat[index]


def conv2d_matrix(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int = 1,
    padding: int = 0,
) -> torch.Tensor:
    """The convolution matrix times each flattened image, reshaped back to feature maps."""
    _check(x, weight)
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    matrix = conv_matrix(weight, (h, w), stride, padding)
    out = x.reshape(n, -1) @ matrix.T
    h_out = conv_output_size(h, kh, stride, padding)
    w_out = conv_output_size(w, kw, stride, padding)
    out = out.reshape(n, c_out, h_out, w_out)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out


ConvFn = Callable[..., torch.Tensor]
METHODS: dict[str, ConvFn] = {
    "loops": conv2d_loops,
    "im2col": conv2d_im2col,
    "conv2d": conv2d_torch,
    "matrix": conv2d_matrix,
}


# ---------------------------------------------------------------------------------------------
# The spreadsheet: digit -> 2 filters -> 2 filters over both channels -> 2x2 max-pool -> dense
# ---------------------------------------------------------------------------------------------

# The sheet's two hand-made first-layer filters: a top-edge and a left-edge detector.
TOP_EDGE = [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -1.0, -1.0]]
LEFT_EDGE = [[1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]]


@dataclass(frozen=True)
class SpreadsheetSettings(Parameters, what="spreadsheet"):
    """The ``cnn.spreadsheet`` parameters: which test image, the seed of the arbitrary
    weights, and how closely the four methods must agree with ``F.conv2d``."""

    image_index: int = 0  # the test image (modulo the test set's size)
    seed: int = 0
    tolerance: float = 1e-4

    def __post_init__(self) -> None:
        check_int("image_index", self.image_index, minimum=0)
        check_int("seed", self.seed, minimum=0)
        check_number("tolerance", self.tolerance, minimum=0)


@dataclass(frozen=True)
class SheetWeights:
    """The sheet's parameters: ``conv1 [2,1,3,3]``, ``conv2 [2,2,3,3]``, ``dense [2,P,P]``."""

    conv1: torch.Tensor
    conv2: torch.Tensor
    dense: torch.Tensor


def sheet_weights(size: int = 28, seed: int = 0) -> SheetWeights:
    """The edge filters of the sheet, then seeded small weights rounded like spreadsheet cells.

    In the lesson's sheet the second layer and the dense weights are arbitrary numbers (they
    would be learned); here they come from ``seed``, rounded to one / two decimals.
    """
    generator = torch.Generator().manual_seed(seed)
    conv1 = torch.tensor([TOP_EDGE, LEFT_EDGE])[:, None]
    conv2 = (torch.randn(2, 2, 3, 3, generator=generator) * 0.5).round(decimals=1)
    pooled = (size - 4) // 2
    dense = (torch.randn(2, pooled, pooled, generator=generator) * 0.05).round(decimals=2)
    return SheetWeights(conv1, conv2, dense)


def spreadsheet_forward(
    digit: torch.Tensor, weights: SheetWeights | None = None, method: str = "conv2d"
) -> dict[str, torch.Tensor]:
    """Every stage of the sheet for one ``[H, W]`` (or ``[1, H, W]``) image, by ``method``.

    Stages: ``input [1,H,W]``, ``conv1`` and ``relu1 [2,H-2,W-2]`` (valid convolution, no
    padding), ``conv2`` and ``relu2 [2,H-4,W-4]``, ``pool [2,(H-4)/2,(W-4)/2]`` (2x2 max),
    ``output`` (a 0-d tensor: the dense layer, the SUMPRODUCT of pool and its weights).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    conv = METHODS[method]
    x = digit.reshape(1, 1, *digit.shape[-2:]).float()
    if weights is None:
        weights = sheet_weights(x.shape[-1])
    conv1 = conv(x, weights.conv1)
    relu1 = conv1.clamp_min(0)
    conv2 = conv(relu1, weights.conv2)
    relu2 = conv2.clamp_min(0)
    c, h, w = relu2.shape[1:]
    hp, wp = h // 2, w // 2
    pool = relu2[..., : 2 * hp, : 2 * wp].reshape(1, c, hp, 2, wp, 2).amax(dim=(3, 5))
    if weights.dense.shape != pool.shape[1:]:
        raise ValueError(
            f"dense weights {tuple(weights.dense.shape)} do not fit pool {tuple(pool.shape[1:])}"
        )
    output = (pool[0] * weights.dense).sum()
    return {
        "input": x[0],
        "conv1": conv1[0],
        "relu1": relu1[0],
        "conv2": conv2[0],
        "relu2": relu2[0],
        "pool": pool[0],
        "output": output,
    }


def sheet_digit(image: torch.Tensor, size: int = 28) -> torch.Tensor:
    """Any ``[C, H, W]`` image as the sheet's ``[1, size, size]`` grayscale digit."""
    gray = image if image.shape[0] == 1 else to_grayscale(image)
    if gray.shape[-2:] != (size, size):
        gray = F.interpolate(gray[None], size=(size, size), mode="bilinear", align_corners=False)[0]
    return gray


def checked_disagreement(
    digit: torch.Tensor, weights: SheetWeights, tolerance: float
) -> dict[str, float]:
    """:func:`method_disagreement`, raising when a method is further than ``tolerance`` from
    ``F.conv2d`` (the four computations of one convolution must agree)."""
    disagreement = method_disagreement(digit, weights)
    worst = max(disagreement.values())
    if worst > tolerance:
        raise AssertionError(
            f"the convolution methods disagree by {worst:.3g} (> {tolerance}): {disagreement}"
        )
    return disagreement


def method_disagreement(
    digit: torch.Tensor, weights: SheetWeights | None = None
) -> dict[str, float]:
    """Largest absolute difference of every stage from ``conv2d``'s, per other method."""
    reference = spreadsheet_forward(digit, weights, "conv2d")
    result = {}
    for method in METHODS:
        if method == "conv2d":
            continue
        stages = spreadsheet_forward(digit, weights, method)
        result[method] = max(float((stages[k] - reference[k]).abs().max()) for k in reference)
    return result
