"""Measuring where a heatmap points: digits on a larger noisy canvas and the pointing game.

The lesson judges its ``hook_output`` heatmaps (and Grad-CAM) by eye; this scores them.

A heatmap looks convincing on a picture; the pointing game (Zhang et al., 2016) measures it.
Each image has a box around its object; a heatmap *hits* when its maximum lies inside the box.
The score is the share of hits. A heatmap that knows nothing (say a constant one) points at a
random pixel, so its expected score, the *chance level*, is the mean of box area / image area.

Ties: when several pixels share the maximum (a constant heatmap, a plateau after upsampling),
the maximum is taken uniformly at random among them and the hit is counted in expectation: the
share of the tied pixels that lie in the box. So a constant heatmap scores exactly the chance
level and a heatmap that peaks inside the box scores 1.

The localization set: every image (e.g. a 28x28 digit) is placed at a seeded random position on
a larger canvas (64x64 by default) of uniform noise. The box is the digit's ink (the bounding
box of its pixels above ``ink_threshold``), not the 28x28 patch around it: MNIST digits sit in
the middle 20x20 of their patch, and a heatmap peaking on the black margin has not found the
digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from l6pipeline.core.params import ParameterError, check_choice, check_int, check_number
from l6pipeline.vision.interpretation.heatmaps import upsample

BOXES = ("ink", "patch")  # the object's box: its pixels above ink_threshold | the pasted square


@dataclass(frozen=True)
class CanvasSet:
    """Canvases ``[N, C, S, S]``, labels ``[N]``, boxes ``[N, 4]`` as (top, left, bottom, right).

    Boxes are in pixels with exclusive bottom/right ends: pixel ``(y, x)`` is inside when
    ``top <= y < bottom`` and ``left <= x < right``.
    """

    images: torch.Tensor
    labels: torch.Tensor
    boxes: torch.Tensor
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def size(self) -> int:
        return self.images.shape[-1]


def ink_box(image: torch.Tensor, threshold: float = 0.1) -> tuple[int, int, int, int]:
    """Bounding box ``(top, left, bottom, right)`` of the pixels of ``[C, H, W]`` above ``threshold``.

    The whole image when no pixel is above it.
    """
    mask = image.amax(dim=0) > threshold
    if not mask.any():
        return 0, 0, image.shape[-2], image.shape[-1]
    rows = torch.nonzero(mask.any(dim=1)).flatten()
    cols = torch.nonzero(mask.any(dim=0)).flatten()
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def make_canvas_set(
    images: torch.Tensor,
    labels: torch.Tensor,
    classes: tuple[str, ...],
    canvas: int = 64,
    object_size: int | None = None,
    noise: float = 0.3,
    seed: int = 0,
    box: str = "ink",
    ink_threshold: float = 0.1,
) -> CanvasSet:
    """Place each ``[C, h, w]`` image at a random position on a ``canvas`` of uniform noise.

    Images are first resized to ``object_size`` (``None``: kept). Background pixels are
    uniform in ``[0, noise]``; the object is drawn over it with ``max`` (bright ink on a dark,
    noisy ground). ``box``: ``"ink"`` (the object's pixels above ``ink_threshold``) or
    ``"patch"`` (the whole pasted square). Depends only on the inputs and ``seed``.
    """
    if box not in BOXES:
        raise ValueError(f"box must be 'ink' or 'patch', got {box!r}")
    images = images.float()
    if object_size is not None and images.shape[-1] != object_size:
        images = F.interpolate(
            images, size=(object_size, object_size), mode="bilinear", align_corners=False
        ).clamp(0, 1)
    n, c, h, w = images.shape
    if h > canvas or w > canvas:
        raise ValueError(f"objects of {h}x{w} do not fit on a {canvas}x{canvas} canvas")
    rng = np.random.default_rng(seed)
    tops = rng.integers(0, canvas - h + 1, size=n)
    lefts = rng.integers(0, canvas - w + 1, size=n)
    background = torch.from_numpy(rng.random((n, c, canvas, canvas), dtype=np.float32)) * noise
    out = background.clone()
    boxes = torch.empty(n, 4, dtype=torch.long)
    for i in range(n):
        top, left = int(tops[i]), int(lefts[i])
        region = out[i, :, top : top + h, left : left + w]
        out[i, :, top : top + h, left : left + w] = torch.maximum(region, images[i])
        if box == "ink":
            bt, bl, bb, br = ink_box(images[i], ink_threshold)
        else:
            bt, bl, bb, br = 0, 0, h, w
        boxes[i] = torch.tensor([top + bt, left + bl, top + bb, left + br])
    return CanvasSet(out, labels.clone(), boxes, classes)


@dataclass(frozen=True)
class CanvasConfig:
    """How :func:`make_canvas_set` builds a split's canvases (the ``cnn.localization`` values)."""

    canvas: int = 64
    object_size: int | None = 28
    noise: float = 0.3
    seed: int = 0  # train / valid / test canvases use seed, seed + 1, seed + 2
    box: str = "ink"
    ink_threshold: float = 0.1

    def __post_init__(self) -> None:
        """A value out of range names its key before any canvas is drawn."""
        check_int("canvas", self.canvas, minimum=1)
        check_int("object_size", self.object_size, minimum=1, optional=True)
        if self.object_size is not None and self.object_size > self.canvas:
            rule = f"must be <= canvas ({self.canvas}): the object must fit on the canvas"
            raise ParameterError("object_size", rule, self.object_size)
        check_number("noise", self.noise, minimum=0, maximum=1)
        check_int("seed", self.seed, minimum=0)
        check_choice("box", self.box, BOXES)
        check_number("ink_threshold", self.ink_threshold, minimum=0, below=1)


def canvas_splits(
    parts: Sequence[tuple[torch.Tensor, torch.Tensor]],
    classes: tuple[str, ...],
    config: CanvasConfig,
) -> list[CanvasSet]:
    """Each ``(images, labels)`` split on its own canvases, split ``i`` seeded ``seed + i``."""
    return [
        make_canvas_set(
            images,
            labels,
            classes,
            canvas=config.canvas,
            object_size=config.object_size,
            noise=config.noise,
            seed=config.seed + offset,
            box=config.box,
            ink_threshold=config.ink_threshold,
        )
        for offset, (images, labels) in enumerate(parts)
    ]


def grow_boxes(boxes: torch.Tensor, tolerance: int, size: int) -> torch.Tensor:
    """Boxes enlarged by ``tolerance`` pixels on every side, clipped to the canvas."""
    if tolerance == 0:
        return boxes
    grown = boxes + torch.tensor([-tolerance, -tolerance, tolerance, tolerance])
    return grown.clamp(0, size)


def box_masks(boxes: torch.Tensor, size: int) -> torch.Tensor:
    """Boolean masks ``[N, size, size]``, true inside each box."""
    coords = torch.arange(size)
    top, left, bottom, right = (boxes[:, i, None] for i in range(4))
    rows = (coords[None] >= top) & (coords[None] < bottom)  # [N, size]
    cols = (coords[None] >= left) & (coords[None] < right)
    return rows[:, :, None] & cols[:, None, :]


def pointing_hits(
    heatmaps: torch.Tensor, boxes: torch.Tensor, size: int, tolerance: int = 0
) -> torch.Tensor:
    """Per image, the (expected) hit in [0, 1]: share of the maximal pixels inside the box.

    ``heatmaps [N, h, w]`` at any resolution are upsampled (bilinear) to ``size x size``
    first. Pixels within ``1e-6`` of the range of the maximum count as ties. ``tolerance``
    grows each box by that many pixels (Zhang et al. allow 15 pixels on 224-pixel images).
    """
    boxes = grow_boxes(boxes, tolerance, size)
    heat = (
        upsample(heatmaps, size)
        if heatmaps.shape[-1] != size or heatmaps.shape[-2] != size
        else heatmaps.float()
    )
    flat = heat.flatten(1)
    high = flat.max(dim=1).values[:, None]
    low = flat.min(dim=1).values[:, None]
    tied = flat >= high - 1e-6 * (high - low)
    inside = box_masks(boxes, size).flatten(1)
    return (tied & inside).sum(dim=1).float() / tied.sum(dim=1).float()


def pointing_game(
    heatmaps: torch.Tensor, boxes: torch.Tensor, size: int, tolerance: int = 0
) -> float:
    """The pointing-game score: mean (expected) hit over images."""
    return float(pointing_hits(heatmaps, boxes, size, tolerance).mean())


def chance_level(boxes: torch.Tensor, size: int, tolerance: int = 0) -> float:
    """Expected score of a random point: mean box area / canvas area (boxes grown likewise)."""
    boxes = grow_boxes(boxes, tolerance, size)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return float(areas.float().mean() / (size * size))
