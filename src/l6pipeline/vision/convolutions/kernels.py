"""Hand-made 3x3 kernels, padding modes, stride and average pooling (Lesson 6, "what is a conv").

The lesson builds one kernel by hand and applies it to a photo::

    k = tensor([[0., -5/3, 1], [-5/3, -5/3, 1], [1., 1, 1]]).expand(1, 3, 3, 3) / 6

It lights up where the bottom-right of a pixel is brighter than its top-left. Its nine entries
sum to ``(5 - 5) / 6 = 0`` exactly (five 1s against three -5/3s); in float32 the computed sum is
0 up to rounding (about 1e-8), so a flat region maps to 0, like every edge detector here. The
expanded ``[1, 3, 3, 3]`` version sums to 0 over all 27 entries as well.

Sums, from the definitions: identity, box blur, Gaussian blur, sharpen and emboss sum to 1 (a
flat region keeps its brightness); Sobel x, Sobel y, outline and the lesson's edge kernel sum to
0 (a flat region goes to black).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from l6pipeline.core.params import (
    ParameterError,
    Parameters,
    check_choice,
    check_each,
    check_int,
)
from l6pipeline.vision.convolutions.spreadsheet import conv_output_size


def lesson_edge_kernel(channels: int = 3) -> torch.Tensor:
    """The lesson's bottom-right edge kernel, expanded over ``channels``: ``[1, C, 3, 3]``."""
    k = torch.tensor([[0.0, -5 / 3, 1.0], [-5 / 3, -5 / 3, 1.0], [1.0, 1.0, 1.0]])
    return k.expand(1, channels, 3, 3) / 6


KERNELS: dict[str, torch.Tensor] = {
    "identity": torch.tensor([[0.0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "box_blur": torch.full((3, 3), 1 / 9),
    "gaussian_blur": torch.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "sharpen": torch.tensor([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "sobel_x": torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel_y": torch.tensor([[-1.0, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "emboss": torch.tensor([[-2.0, -1, 0], [-1, 1, 1], [0, 1, 2]]),
    "outline": torch.tensor([[-1.0, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
    "lesson_edge": lesson_edge_kernel(1)[0, 0],
}

# How a convolution pads its input (our name -> F.pad mode); not the fill of a warp or
# rotation, which is augment.WARP_PADDING_MODES.
CONV_PADDING_MODES = {"zeros": "constant", "reflection": "reflect", "replicate": "replicate"}


def kernel_sum(kernel: torch.Tensor) -> float:
    """The sum of all entries: what the kernel does to a flat region (0: edge, 1: keeps it)."""
    return float(kernel.double().sum())


def pad(image: torch.Tensor, amount: int, mode: str = "zeros") -> torch.Tensor:
    """Pad ``[C, H, W]`` or ``[N, C, H, W]`` by ``amount`` pixels: zeros, reflection, replicate."""
    if mode not in CONV_PADDING_MODES:
        raise ValueError(f"padding mode must be one of {sorted(CONV_PADDING_MODES)}, got {mode!r}")
    if amount == 0:
        return image
    batched = image if image.ndim == 4 else image[None]
    out = F.pad(batched, (amount,) * 4, mode=CONV_PADDING_MODES[mode])
    return out if image.ndim == 4 else out[0]


def apply_kernel(
    image: torch.Tensor,
    kernel: torch.Tensor,
    padding: int = 1,
    mode: str = "zeros",
    stride: int = 1,
) -> torch.Tensor:
    """Convolve ``[C, H, W]`` with a kernel (cross-correlation, as every deep-learning library).

    A ``[k, k]`` kernel is applied to each channel separately (a colour photo stays in colour);
    a ``[O, C, k, k]`` kernel mixes channels (the lesson's expanded kernel gives one channel).
    """
    x = pad(image[None], padding, mode)
    if kernel.ndim == 2:
        c = image.shape[0]
        weight = kernel.to(image.dtype).expand(c, 1, *kernel.shape)
        return F.conv2d(x, weight, stride=stride, groups=c)[0]
    return F.conv2d(x, kernel.to(image.dtype), stride=stride)[0]


def output_shape(
    hw: tuple[int, int], kernel: int = 3, stride: int = 1, padding: int = 0
) -> tuple[int, int]:
    """``(H_out, W_out)`` of a convolution or pooling from the formula (any padding mode)."""
    return tuple(conv_output_size(n, kernel, stride, padding) for n in hw)  # type: ignore[return-value]


def average_pool(image: torch.Tensor, size: int | None) -> torch.Tensor:
    """``size x size`` average pooling (stride = size) of ``[C, H, W]``; ``None``: to 1x1.

    ``None`` is the adaptive pooling at the end of a CNN: one mean per channel.
    """
    if size is None:
        return F.adaptive_avg_pool2d(image[None], 1)[0]
    return F.avg_pool2d(image[None], size)[0]


@dataclass(frozen=True)
class KernelSettings(Parameters, what="kernels"):
    """The ``cnn.kernels`` parameters: the photo and its two sizes, the digit, and the kernels,
    padding and pooling sizes the figures show."""

    photo: str | None = None  # a path to your own photo; None: scikit-image's cat
    photo_max_side: int = 320  # the kernel gallery's photo
    small_photo_max_side: int = 96  # padding / stride / pooling figures
    image_index: int = 0  # the digit: this test image (modulo the test set's size)
    padding: int = 8
    padding_kernel: str = "box_blur"
    stride_kernel: str = "outline"
    pool_sizes: Sequence[int | None] = (2, 4, 8, None)  # None: adaptive pooling to 1x1

    def __post_init__(self) -> None:
        if self.photo is not None and not isinstance(self.photo, str):
            raise ParameterError("photo", "must be a path to an image, or null", self.photo)
        check_int("photo_max_side", self.photo_max_side, minimum=1)
        check_int("small_photo_max_side", self.small_photo_max_side, minimum=1)
        check_int("image_index", self.image_index, minimum=0)
        check_int("padding", self.padding, minimum=0)
        check_choice("padding_kernel", self.padding_kernel, tuple(KERNELS))
        check_choice("stride_kernel", self.stride_kernel, tuple(KERNELS))
        check_each(check_int, "pool_sizes", self.pool_sizes, minimum=1, optional=True)
        object.__setattr__(self, "pool_sizes", tuple(self.pool_sizes))
