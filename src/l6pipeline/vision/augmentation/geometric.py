"""fast.ai's geometric transforms on kornia: flip, perspective warp, rotation and zoom.

``flip_lr``, ``symmetric_warp``, ``rotate`` and ``rand_zoom`` (zoom in at a random centre that
keeps the crop inside the image), each a batched kornia module. Pixels they pull from outside
the image are filled by ``padding_mode``: ``"zeros"`` (black corners), ``"border"`` (edge pixels
smeared outwards) or ``"reflection"`` (the image mirrored at its edge, fast.ai's default).
Each draws its random parameters from torch's global CPU generator, and at magnitude 0 each is
exactly the identity (:func:`~l6pipeline.vision.augmentation.batch.keep_where`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from kornia.augmentation import RandomAffine, RandomHorizontalFlip, RandomPerspective
from kornia.geometry.transform import warp_perspective

from l6pipeline.vision.augmentation.batch import keep_where

# How warp and rotate fill pixels from outside the image (fast.ai's get_transforms
# padding_mode); not a convolution's padding, which is kernels.CONV_PADDING_MODES.
WARP_PADDING_MODES: tuple[str, ...] = ("zeros", "border", "reflection")
WARP_SAMPLINGS: tuple[str, ...] = ("symmetric", "area_preserving", "basic")


def _check_padding(padding_mode: str) -> str:
    if padding_mode not in WARP_PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {WARP_PADDING_MODES}, got {padding_mode!r}")
    return padding_mode


def _symmetric(value: float | Sequence[float], name: str) -> tuple[float, float]:
    """``m`` -> ``(-m, m)``; an explicit ``(lo, hi)`` is kept (lets tests pin a value)."""
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
        return (-float(value), float(value))
    lo, hi = (float(v) for v in value)
    if lo > hi:
        raise ValueError(f"{name} range must be (low, high), got {value}")
    return lo, hi


def flip(p: float = 0.5) -> RandomHorizontalFlip:
    """Mirror left-right with probability ``p`` (fast.ai's ``flip_lr``)."""
    return RandomHorizontalFlip(p=p)


class RandomRotate(RandomAffine):
    """kornia's ``RandomAffine`` restricted to rotations; an angle of 0 returns the input."""

    def __init__(
        self, degrees: tuple[float, float], padding_mode: str = "reflection", p: float = 1.0
    ) -> None:
        super().__init__(degrees=degrees, padding_mode=_check_padding(padding_mode), p=p)

    def apply_transform(self, input, params, flags, transform=None):  # noqa: D102
        output = super().apply_transform(input, params, flags, transform)
        return keep_where(params["angle"].cpu() == 0, input, output)


def rotate(
    max_degrees: float | Sequence[float] = 20.0, p: float = 1.0, padding_mode: str = "reflection"
) -> RandomRotate:
    """Rotate about the centre by an angle uniform in ``[-max_degrees, max_degrees]``.

    A ``(lo, hi)`` pair gives the range itself. A positive angle turns the displayed image
    clockwise (kornia's ``RandomAffine`` convention): 90 degrees is ``torch.rot90(x, k=-1)``.
    """
    return RandomRotate(_symmetric(max_degrees, "max_degrees"), padding_mode=padding_mode, p=p)


class RandomZoom(RandomAffine):
    """Zoom in by a factor uniform in ``scale`` at a random centre, the crop kept inside the image.

    kornia's ``RandomAffine`` scales about the image centre; fast.ai's ``rand_zoom`` picks the
    centre uniformly among the positions where the zoomed window stays inside the image. Here
    the shift is drawn per sample as ``(u - 0.5) * (s - 1) * (size - 1)``, ``u`` uniform in
    [0, 1] (``size - 1``: the extent between the outer pixel centres), which is exactly that, so
    a zoom never needs padding. At ``s = 1`` there is no room and no shift (the identity).
    """

    def __init__(
        self, scale: tuple[float, float], padding_mode: str = "reflection", p: float = 1.0
    ) -> None:
        lo, hi = scale
        if not 1.0 <= lo <= hi:
            raise ValueError(f"zoom scale must satisfy 1 <= low <= high, got {scale}")
        super().__init__(
            degrees=0.0, scale=(lo, hi), padding_mode=_check_padding(padding_mode), p=p
        )

    def generate_parameters(self, batch_shape: tuple[int, ...]) -> dict[str, torch.Tensor]:
        params = super().generate_parameters(batch_shape)
        scale = params["scale"]  # [B, 2], the same factor on x and y
        height, width = batch_shape[-2], batch_shape[-1]
        room = (scale - 1.0) * torch.tensor([width - 1, height - 1], dtype=scale.dtype)
        shift = torch.rand(scale.shape, dtype=scale.dtype, device=scale.device) - 0.5
        if self.same_on_batch:
            shift = shift[:1].expand_as(shift)
        params["translations"] = shift * room
        return params

    def apply_transform(self, input, params, flags, transform=None):  # noqa: D102
        output = super().apply_transform(input, params, flags, transform)
        still = (params["scale"].cpu() == 1).all(dim=1) & (params["translations"].cpu() == 0).all(
            dim=1
        )
        return keep_where(still, input, output)


def zoom(
    max_zoom: float | Sequence[float] = 1.3, p: float = 1.0, padding_mode: str = "reflection"
) -> RandomZoom:
    """Zoom in by a factor uniform in ``[1, max_zoom]`` (``max_zoom = 1`` is the identity)."""
    scale = (1.0, float(max_zoom)) if isinstance(max_zoom, int | float) else tuple(max_zoom)
    return RandomZoom(scale=scale, padding_mode=padding_mode, p=p)


class RandomWarp(RandomPerspective):
    """A random perspective warp with a padding mode (kornia's own always pads with zeros).

    ``sampling_method``:

    - ``"symmetric"`` (default) is fast.ai's ``symmetric_warp``: four magnitudes ``m`` uniform
      in ``[-distortion_scale, distortion_scale]``, one per edge, each stretching (or
      shrinking) its edge symmetrically by ``m`` x half the image size, which tilts the image
      as if seen from another angle;
    - ``"area_preserving"`` moves each corner coordinate independently by up to
      ``distortion_scale`` x half the size (kornia; more shear-like);
    - ``"basic"`` moves the corners inwards only (kornia's default, always shrinks).
    """

    def __init__(
        self,
        distortion_scale: float,
        padding_mode: str = "reflection",
        sampling_method: str = "symmetric",
        p: float = 1.0,
    ) -> None:
        if sampling_method not in WARP_SAMPLINGS:
            raise ValueError(
                f"warp sampling must be one of {WARP_SAMPLINGS}, got {sampling_method!r}"
            )
        kornia_sampling = "basic" if sampling_method == "symmetric" else sampling_method
        super().__init__(distortion_scale=distortion_scale, sampling_method=kornia_sampling, p=p)
        self.sampling = sampling_method
        self.magnitude = float(distortion_scale)
        self.flags["padding_mode"] = _check_padding(padding_mode)

    def generate_parameters(self, batch_shape: tuple[int, ...]) -> dict[str, torch.Tensor]:
        if self.sampling != "symmetric":
            return super().generate_parameters(batch_shape)
        batch, height, width = batch_shape[0], batch_shape[-2], batch_shape[-1]
        # kornia's corner order: top-left, top-right, bottom-right, bottom-left (x, y).
        start = torch.tensor(
            [[0.0, 0.0], [width - 1.0, 0.0], [width - 1.0, height - 1.0], [0.0, height - 1.0]]
        ).expand(batch, 4, 2)
        m = (torch.rand(1 if self.same_on_batch else batch, 4) * 2 - 1) * self.magnitude
        m = m.expand(batch, 4)
        hx, hy = (width - 1) / 2, (height - 1) / 2
        # fast.ai: m0 stretches the right edge, m1 the left, m2 the bottom, m3 the top.
        offset = torch.stack(
            [
                torch.stack([-m[:, 3] * hx, -m[:, 1] * hy], dim=-1),
                torch.stack([m[:, 3] * hx, -m[:, 0] * hy], dim=-1),
                torch.stack([m[:, 2] * hx, m[:, 0] * hy], dim=-1),
                torch.stack([-m[:, 2] * hx, m[:, 1] * hy], dim=-1),
            ],
            dim=1,
        )
        return {"start_points": start, "end_points": start + offset}

    def apply_transform(
        self,
        input: torch.Tensor,
        params: dict[str, torch.Tensor],
        flags: dict[str, Any],
        transform: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if transform is None:
            raise TypeError("RandomWarp needs the perspective matrix")
        _, _, height, width = input.shape
        out = warp_perspective(
            input,
            transform,
            (height, width),
            mode=flags["resample"].name.lower(),
            padding_mode=flags["padding_mode"],
            align_corners=flags["align_corners"],
        )
        # Corners that did not move: the homography is the identity only up to rounding.
        still = (params["end_points"] == params["start_points"]).flatten(1).all(dim=1)
        return keep_where(still.cpu(), input, out)


def warp(
    magnitude: float = 0.4,
    p: float = 1.0,
    padding_mode: str = "reflection",
    sampling_method: str = "symmetric",
) -> RandomWarp:
    """Perspective warp of ``magnitude`` (in half image sizes, fast.ai's ``max_warp``)."""
    if not 0.0 <= magnitude <= 1.0:
        raise ValueError(f"warp magnitude must be in [0, 1], got {magnitude}")
    return RandomWarp(magnitude, padding_mode=padding_mode, sampling_method=sampling_method, p=p)
