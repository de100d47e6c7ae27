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
from kornia.augmentation import AugmentationSequential

from l6pipeline.core.params import Parameters, check_choice, check_number
from l6pipeline.vision.augmentation.batch import apply
from l6pipeline.vision.augmentation.geometric import (
    WARP_PADDING_MODES,
    WARP_SAMPLINGS,
    flip,
    rotate,
    warp,
    zoom,
)
from l6pipeline.vision.augmentation.lighting import brightness, contrast

TRANSFORMS: tuple[str, ...] = ("flip", "warp", "rotate", "zoom", "brightness", "contrast")


@dataclass(frozen=True)
class AugmentConfig(Parameters, what="augmentation"):
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
        """A value out of range names its key before any transform is built."""
        check_choice("do_flip", self.do_flip, (True, False))
        check_number("max_rotate", self.max_rotate, minimum=0)
        check_number("max_zoom", self.max_zoom, minimum=1)  # zoom in only
        check_number("max_lighting", self.max_lighting, minimum=0, below=1)
        for name in ("p_flip", "p_affine", "p_lighting", "max_warp"):
            check_number(name, getattr(self, name), minimum=0, maximum=1)
        check_choice("padding_mode", self.padding_mode, WARP_PADDING_MODES)
        check_choice("warp_sampling", self.warp_sampling, WARP_SAMPLINGS)

    def with_(self, **changes: Any) -> AugmentConfig:
        """The same set with ``changes`` (checked like any other value)."""
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


@dataclass(frozen=True)
class AugmentChanges:
    """Changes to a transform set (``augmentation.digits.transforms``: no flip for digits);
    each key and value is checked as :class:`AugmentConfig` checks it."""

    changes: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> AugmentChanges:
        """The changes in a parameters dict (unknown keys and bad values rejected)."""
        changes = dict(params or {})
        AugmentConfig.from_params(changes)
        return cls(tuple(changes.items()))

    def applied_to(self, config: AugmentConfig) -> AugmentConfig:
        """``config`` with these changes."""
        return config.with_(**dict(self.changes))


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
