"""One photo loader and two ways to size a photo (fast.ai's ``open_image`` and its resizing).

:func:`load_photo` reads a colour photo at its own size: yours, or scikit-image's bundled cat
(Chelsea, so nothing is downloaded). The figures then size it the way they need:
:func:`square` (the augmentation galleries: a centre crop, as fast.ai's ``ResizeMethod.CROP``)
or :func:`shrink` (the kernel figures: the whole photo, aspect ratio kept).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import data as skimage_data


def to_tensor_image(array: np.ndarray) -> torch.Tensor:
    """``[H, W]`` or ``[H, W, C]`` uint8/float array -> ``[C, H, W]`` float32 in [0, 1]."""
    array = np.asarray(array)
    image = torch.tensor(array, dtype=torch.float32)  # a copy: the array may be read-only
    if np.issubdtype(array.dtype, np.integer):
        image = image / float(np.iinfo(array.dtype).max)
    if image.ndim == 2:
        image = image[None]
    else:
        image = image[..., :3].permute(2, 0, 1)  # drop an alpha channel
    return image.clamp(0, 1).contiguous()


def load_photo(path: str | Path | None = None) -> torch.Tensor:
    """A colour photo ``[3, H, W]`` in [0, 1]: ``path`` (any image PIL reads), or Chelsea."""
    if path is None:
        array = skimage_data.chelsea()  # ships inside scikit-image: no download
    else:
        with Image.open(path) as img:
            array = np.asarray(img.convert("RGB"))
    return to_tensor_image(array)


def to_grayscale(image: torch.Tensor) -> torch.Tensor:
    """``[3, H, W]`` RGB -> ``[1, H, W]`` luminance (ITU-R 601); one channel passes through."""
    if image.shape[0] == 1:
        return image
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=image.dtype)
    return (image * weights[:, None, None]).sum(0, keepdim=True)


def _resize(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    resized = F.interpolate(
        image[None], size=(height, width), mode="bilinear", antialias=True, align_corners=False
    )
    return resized[0].clamp(0, 1)


def square(image: torch.Tensor, size: int) -> torch.Tensor:
    """Centre-crop ``[C, H, W]`` to a square and resize it to ``size`` x ``size`` (antialiased)."""
    _, height, width = image.shape
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    crop = image[:, top : top + side, left : left + side]
    return crop.contiguous() if side == size else _resize(crop, size, size)


def shrink(image: torch.Tensor, max_side: int | None) -> torch.Tensor:
    """``[C, H, W]`` resized (antialiased, aspect ratio kept) so its longer side is at most
    ``max_side``; a smaller image, or ``max_side=None``, is returned as it is."""
    _, height, width = image.shape
    if max_side is None or max(height, width) <= max_side:
        return image
    scale = max_side / max(height, width)
    return _resize(image, round(height * scale), round(width * scale))
