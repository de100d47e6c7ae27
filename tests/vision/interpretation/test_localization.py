"""The localization set and the pointing game (correct-by-construction and constant heatmaps)."""

from __future__ import annotations

import pytest
import torch

from l6pipeline.core.params import ParameterError
from l6pipeline.vision.interpretation.localization import (
    CanvasConfig,
    box_masks,
    chance_level,
    ink_box,
    make_canvas_set,
    pointing_game,
    pointing_hits,
)


def _digits(n: int = 20) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    images = torch.zeros(n, 1, 28, 28)
    images[:, :, 6:22, 9:19] = torch.rand(n, 1, 16, 10, generator=gen) * 0.5 + 0.5
    return images, torch.arange(n) % 10


def test_canvas_set_places_every_digit_inside_its_box():
    images, labels = _digits()
    canvases = make_canvas_set(images, labels, tuple("0123456789"), canvas=64, noise=0.3, seed=1)
    assert canvases.images.shape == (20, 1, 64, 64)
    assert canvases.size == 64
    boxes = canvases.boxes
    assert (boxes[:, 2] - boxes[:, 0] == 16).all() and (boxes[:, 3] - boxes[:, 1] == 10).all()
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 64).all()
    inside = box_masks(boxes, 64)
    # the ink (> noise) is exactly the box; the background stays in [0, noise]
    assert (canvases.images[:, 0][~inside] <= 0.3).all()
    assert (canvases.images[:, 0][inside] >= 0.5).all()
    torch.testing.assert_close(canvases.labels, labels)


def test_canvas_set_depends_on_the_seed_only():
    images, labels = _digits()
    a = make_canvas_set(images, labels, tuple("0123456789"), seed=3)
    b = make_canvas_set(images, labels, tuple("0123456789"), seed=3)
    c = make_canvas_set(images, labels, tuple("0123456789"), seed=4)
    torch.testing.assert_close(a.images, b.images)
    assert torch.equal(a.boxes, b.boxes)
    assert not torch.equal(a.boxes, c.boxes)


def test_patch_boxes_and_resizing():
    images, labels = _digits(4)
    canvases = make_canvas_set(
        images, labels, tuple("0123456789"), canvas=40, object_size=14, box="patch"
    )
    assert ((canvases.boxes[:, 2:] - canvases.boxes[:, :2]) == 14).all()
    with pytest.raises(ValueError, match="do not fit"):
        make_canvas_set(images, labels, tuple("0123456789"), canvas=20)
    with pytest.raises(ValueError, match="box"):
        make_canvas_set(images, labels, tuple("0123456789"), box="tight")


def test_ink_box():
    image = torch.zeros(1, 10, 10)
    image[0, 2:5, 3:8] = 1.0
    assert ink_box(image) == (2, 3, 5, 8)
    assert ink_box(torch.zeros(1, 6, 6)) == (0, 0, 6, 6)


def test_a_heatmap_that_peaks_inside_the_box_scores_one():
    images, labels = _digits()
    canvases = make_canvas_set(images, labels, tuple("0123456789"), seed=2)
    heat = box_masks(canvases.boxes, 64).float()  # correct by construction: 1 in the box
    assert pointing_game(heat, canvases.boxes, 64) == 1.0
    # also at a coarse resolution: a peak on the box's centre cell, upsampled
    coarse = torch.zeros(len(canvases), 16, 16)
    centre_y = (canvases.boxes[:, 0] + canvases.boxes[:, 2]) // 2 // 4
    centre_x = (canvases.boxes[:, 1] + canvases.boxes[:, 3]) // 2 // 4
    coarse[torch.arange(len(canvases)), centre_y, centre_x] = 1.0
    assert pointing_game(coarse, canvases.boxes, 64) == 1.0


def test_a_constant_heatmap_scores_the_chance_level():
    images, labels = _digits()
    canvases = make_canvas_set(images, labels, tuple("0123456789"), seed=2)
    chance = chance_level(canvases.boxes, 64)
    assert chance == pytest.approx(16 * 10 / 64**2)
    for value in (0.0, 3.5):
        heat = torch.full((len(canvases), 8, 8), value)
        assert pointing_game(heat, canvases.boxes, 64) == pytest.approx(chance)


def test_a_heatmap_that_points_outside_scores_zero_and_ties_count_in_expectation():
    boxes = torch.tensor([[0, 0, 2, 2]])  # the top-left 2x2 of a 4x4 canvas
    outside = torch.zeros(1, 4, 4)
    outside[0, 3, 3] = 1.0
    assert pointing_game(outside, boxes, 4) == 0.0
    tie = torch.zeros(1, 4, 4)
    tie[0, 0, 0] = tie[0, 3, 3] = 1.0  # one of two maxima inside
    assert pointing_hits(tie, boxes, 4).tolist() == [0.5]
    # with a tolerance of 2 pixels the box covers the whole canvas
    assert pointing_game(outside, boxes, 4, tolerance=2) == 1.0
    assert chance_level(boxes, 4, tolerance=2) == 1.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"canvas": 20}, "object_size = 28: must be <= canvas (20): the object must fit"),
        ({"box": "circle"}, "box = 'circle': must be one of 'ink', 'patch'"),
        ({"noise": -0.1}, "noise = -0.1: must be a number >= 0 and <= 1"),
    ],
)
def test_a_canvas_that_cannot_be_drawn_is_named_before_drawing(values, message):
    with pytest.raises(ParameterError) as caught:
        CanvasConfig(**values)
    assert str(caught.value).startswith(message)
