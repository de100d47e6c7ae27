"""fast.ai's ``get_transforms`` on kornia: batched data augmentation on CPU or GPU tensors.

The set is fast.ai v1's, with the values Lesson 6 uses for its pets (``get_transforms(max_rotate=20,
max_zoom=1.3, max_lighting=0.4, max_warp=0.4, p_affine=1., p_lighting=1.)``), in fast.ai's order:

==============  =========================================================================
``flip``        left-right mirror with probability ``p_flip`` (0.5)
``warp``        perspective warp: each edge stretches by up to ``max_warp`` x half the size
``rotate``      rotation by an angle uniform in ``[-max_rotate, max_rotate]`` degrees
``zoom``        zoom *in* by a factor uniform in ``[1, max_zoom]``, at a random centre that
                keeps the crop inside the image (fast.ai's ``rand_zoom``)
``brightness``  ``logit(x) + logit(c)``, ``c`` uniform in ``0.5 * [1 - m, 1 + m]``
``contrast``    ``logit(x) * s``, ``s`` log-uniform in ``[1 - m, 1 / (1 - m)]``
==============  =========================================================================

``m = max_lighting``. The geometric transforms (warp, rotate, zoom) fire with probability
``p_affine`` and the lighting ones with ``p_lighting``; both default to 1 here, as in the lesson
(fast.ai's own defaults are 0.75). Pixels the geometric transforms pull from outside the image are
filled by ``padding_mode``: ``"zeros"`` (black corners), ``"border"`` (edge pixels smeared
outwards) or ``"reflection"`` (the image mirrored at its edge, fast.ai's default).

Every transform works on a whole batch ``[B, C, H, W]`` of float images in ``[0, 1]`` at once and
draws its random parameters from torch's global CPU generator, so ``torch.manual_seed`` (or
:func:`l6pipeline.core.nn.seed_everything`) makes a batch reproducible on CPU and GPU alike. At
magnitude 0 each transform is exactly the identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from kornia.augmentation import (
    AugmentationSequential,
    IntensityAugmentationBase2D,
    RandomAffine,
    RandomHorizontalFlip,
    RandomPerspective,
)
from kornia.augmentation import random_generator as rg
from kornia.geometry.transform import warp_perspective

from l6pipeline.core.params import known_params

# How warp and rotate fill pixels from outside the image (fast.ai's get_transforms
# padding_mode); not a convolution's padding, which is kernels.CONV_PADDING_MODES.
WARP_PADDING_MODES: tuple[str, ...] = ("zeros", "border", "reflection")
TRANSFORMS: tuple[str, ...] = ("flip", "warp", "rotate", "zoom", "brightness", "contrast")
_LOGIT_EPS = 1e-7  # fast.ai's clamp before taking logits


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


def _logit(x: torch.Tensor) -> torch.Tensor:
    return torch.logit(x.clamp(0.0, 1.0), eps=_LOGIT_EPS)


# --------------------------------------------------------------------------------------------
# Geometric transforms
# --------------------------------------------------------------------------------------------


def flip(p: float = 0.5) -> RandomHorizontalFlip:
    """Mirror left-right with probability ``p`` (fast.ai's ``flip_lr``)."""
    return RandomHorizontalFlip(p=p)


def _keep_where(still: torch.Tensor, input: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """``input`` for the samples flagged in ``still`` (a CPU bool vector computed from the
    sampled parameters, so no device sync), ``output`` for the others.

    Resampling with an identity matrix reproduces the input only up to rounding; this makes
    magnitude 0 exactly the identity. Nothing is copied when no sample is flagged.
    """
    if not bool(still.any()):
        return output
    return torch.where(still.to(input.device).view(-1, 1, 1, 1), input, output)


class RandomRotate(RandomAffine):
    """kornia's ``RandomAffine`` restricted to rotations; an angle of 0 returns the input."""

    def __init__(
        self, degrees: tuple[float, float], padding_mode: str = "reflection", p: float = 1.0
    ) -> None:
        super().__init__(degrees=degrees, padding_mode=_check_padding(padding_mode), p=p)

    def apply_transform(self, input, params, flags, transform=None):  # noqa: D102
        output = super().apply_transform(input, params, flags, transform)
        return _keep_where(params["angle"].cpu() == 0, input, output)


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
        return _keep_where(still, input, output)


def zoom(
    max_zoom: float | Sequence[float] = 1.3, p: float = 1.0, padding_mode: str = "reflection"
) -> RandomZoom:
    """Zoom in by a factor uniform in ``[1, max_zoom]`` (``max_zoom = 1`` is the identity)."""
    scale = (1.0, float(max_zoom)) if isinstance(max_zoom, int | float) else tuple(max_zoom)
    return RandomZoom(scale=scale, padding_mode=padding_mode, p=p)


WARP_SAMPLINGS: tuple[str, ...] = ("symmetric", "area_preserving", "basic")


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
        return _keep_where(still.cpu(), input, out)


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


# --------------------------------------------------------------------------------------------
# Lighting: fast.ai changes brightness and contrast on the logit scale, so 0 and 1 stay put
# --------------------------------------------------------------------------------------------


def _lighting_magnitude(magnitude: float) -> float:
    if not 0.0 <= magnitude < 1.0:
        raise ValueError(f"lighting magnitude must be in [0, 1), got {magnitude}")
    return float(magnitude)


class RandomLogitBrightness(IntensityAugmentationBase2D):
    """``sigmoid(logit(x) + logit(change))``, ``change`` uniform in ``0.5 * [1 - m, 1 + m]``.

    ``change = 0.5`` is the identity; fast.ai's ``brightness``.
    """

    def __init__(self, magnitude: float = 0.4, p: float = 1.0, same_on_batch: bool = False):
        super().__init__(p=p, same_on_batch=same_on_batch)
        m = _lighting_magnitude(magnitude)
        bounds = torch.tensor([0.5 * (1.0 - m), 0.5 * (1.0 + m)])
        self._param_generator = rg.PlainUniformGenerator((bounds, "change", None, None))

    def apply_transform(
        self,
        input: torch.Tensor,
        params: dict[str, torch.Tensor],
        flags: dict[str, Any],
        transform: torch.Tensor | None = None,
    ) -> torch.Tensor:
        change = params["change"].to(input.device, input.dtype).view(-1, 1, 1, 1)
        out = torch.sigmoid(_logit(input) + torch.logit(change))
        return _keep_where(params["change"].cpu() == 0.5, input, out)


class RandomLogitContrast(IntensityAugmentationBase2D):
    """``sigmoid(logit(x) * scale)``, ``scale`` log-uniform in ``[1 - m, 1 / (1 - m)]``.

    ``scale = 1`` is the identity; fast.ai's ``contrast``.
    """

    def __init__(self, magnitude: float = 0.4, p: float = 1.0, same_on_batch: bool = False):
        super().__init__(p=p, same_on_batch=same_on_batch)
        m = _lighting_magnitude(magnitude)
        log_hi = -torch.log1p(torch.tensor(-m)).item()  # log(1 / (1 - m)) >= 0
        bounds = torch.tensor([-log_hi, log_hi])
        self._param_generator = rg.PlainUniformGenerator((bounds, "log_scale", None, None))

    def apply_transform(
        self,
        input: torch.Tensor,
        params: dict[str, torch.Tensor],
        flags: dict[str, Any],
        transform: torch.Tensor | None = None,
    ) -> torch.Tensor:
        log_scale = params["log_scale"].to(input.device, input.dtype).view(-1, 1, 1, 1)
        out = torch.sigmoid(_logit(input) * torch.exp(log_scale))
        return _keep_where(params["log_scale"].cpu() == 0.0, input, out)


def brightness(magnitude: float = 0.4, p: float = 1.0) -> RandomLogitBrightness:
    """fast.ai's brightness with ``max_lighting = magnitude`` (0 is the identity)."""
    return RandomLogitBrightness(magnitude, p=p)


def contrast(magnitude: float = 0.4, p: float = 1.0) -> RandomLogitContrast:
    """fast.ai's contrast with ``max_lighting = magnitude`` (0 is the identity)."""
    return RandomLogitContrast(magnitude, p=p)


# --------------------------------------------------------------------------------------------
# The set, from parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AugmentConfig:
    """The transform set's parameters: the lesson's values by default (see the module doc)."""

    do_flip: bool = True
    p_flip: float = 0.5
    max_rotate: float = 20.0
    max_zoom: float = 1.3
    max_warp: float = 0.4
    max_lighting: float = 0.4
    p_affine: float = 1.0
    p_lighting: float = 1.0
    padding_mode: str = "reflection"
    warp_sampling: str = "symmetric"

    def __post_init__(self) -> None:
        _check_padding(self.padding_mode)
        _lighting_magnitude(self.max_lighting)
        if self.warp_sampling not in WARP_SAMPLINGS:
            raise ValueError(f"warp_sampling must be one of {WARP_SAMPLINGS}")
        if self.max_zoom < 1.0:
            raise ValueError(f"max_zoom must be >= 1 (zoom in), got {self.max_zoom}")
        for name in ("p_flip", "p_affine", "p_lighting", "max_warp"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> AugmentConfig:
        """Build from a parameters dict, rejecting unknown keys (typos fail loudly)."""
        return cls(**known_params(params, cls.__dataclass_fields__, "augmentation"))

    def with_(self, **changes: Any) -> AugmentConfig:
        return replace(self, **changes)

    def is_active(self, name: str) -> bool:
        """Whether ``name`` has a non-zero magnitude (fast.ai leaves such transforms out)."""
        return {
            "flip": self.do_flip and self.p_flip > 0,
            "warp": self.max_warp > 0 and self.p_affine > 0,
            "rotate": self.max_rotate > 0 and self.p_affine > 0,
            "zoom": self.max_zoom > 1 and self.p_affine > 0,
            "brightness": self.max_lighting > 0 and self.p_lighting > 0,
            "contrast": self.max_lighting > 0 and self.p_lighting > 0,
        }[name]


def make_transform(name: str, config: AugmentConfig | None = None):
    """One transform of the set, with ``config``'s magnitude, probability and padding."""
    c = config or AugmentConfig()
    factories = {
        "flip": lambda: flip(c.p_flip),
        "warp": lambda: warp(c.max_warp, c.p_affine, c.padding_mode, c.warp_sampling),
        "rotate": lambda: rotate(c.max_rotate, c.p_affine, c.padding_mode),
        "zoom": lambda: zoom(c.max_zoom, c.p_affine, c.padding_mode),
        "brightness": lambda: brightness(c.max_lighting, c.p_lighting),
        "contrast": lambda: contrast(c.max_lighting, c.p_lighting),
    }
    if name not in factories:
        raise ValueError(f"unknown transform {name!r}; choose from {TRANSFORMS}")
    return factories[name]()


def build_transforms(
    config: AugmentConfig | None = None, only: Sequence[str] | None = None
) -> AugmentationSequential:
    """The set (or the transforms named in ``only``) as one batched kornia module.

    Transforms with zero magnitude (and the flip when ``do_flip`` is off) are left out, as in
    fast.ai; with none left the result is the identity.
    """
    config = config or AugmentConfig()
    names = TRANSFORMS if only is None else tuple(only)
    for name in names:
        if name not in TRANSFORMS:
            raise ValueError(f"unknown transform {name!r}; choose from {TRANSFORMS}")
    active = [name for name in TRANSFORMS if name in names and config.is_active(name)]
    return AugmentationSequential(*(make_transform(name, config) for name in active))


class BatchAugmenter:
    """A ``train_transform`` for :func:`l6pipeline.core.nn.fit_one_cycle`: augments image batches.

    Runs without gradients, on whatever device the batch is on; the random parameters come
    from torch's global CPU generator, which ``fit_one_cycle`` seeds, so training is
    reproducible. It is only ever handed training batches: validation data is never augmented.
    """

    def __init__(self, config: AugmentConfig | None = None) -> None:
        self.config = config or AugmentConfig()
        self.transform = build_transforms(self.config)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return apply(self.transform, images)

    def __repr__(self) -> str:
        return f"BatchAugmenter({self.config})"


def apply(transform: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Apply ``transform`` to a ``[B, C, H, W]`` float batch; shape and dtype are kept."""
    if images.ndim != 4:
        raise ValueError(f"expected a [B, C, H, W] batch, got shape {tuple(images.shape)}")
    if not images.is_floating_point():
        raise TypeError(f"expected float images in [0, 1], got {images.dtype}")
    out = transform(images)
    return out.to(images.dtype)


def augment(
    transform: torch.nn.Module, images: torch.Tensor, seed: int | None = None
) -> torch.Tensor:
    """Augment a batch; with ``seed``, reproducibly and without touching the global RNG state."""
    if seed is None:
        with torch.no_grad():
            return apply(transform, images)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        return apply(transform, images)
