"""Galleries: the photo loader and the per-transform, full-set and padding-mode figures."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from l6pipeline.vision.augmentation import galleries as G
from l6pipeline.vision.augmentation.augment import TRANSFORMS, AugmentConfig, build_transforms
from l6pipeline.vision.augmentation.geometric import WARP_PADDING_MODES
from l6pipeline.vision.images.photos import load_photo, square, to_tensor_image


def _images(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.images]


def test_default_photo_is_the_bundled_cat():
    photo = square(load_photo(), 64)
    assert photo.shape == (3, 64, 64) and photo.dtype == torch.float32
    assert 0.0 <= photo.min() and photo.max() <= 1.0 and photo.std() > 0.05


def test_a_user_image_is_cropped_to_a_square(tmp_path):
    path = tmp_path / "wide.png"
    array = np.zeros((40, 80, 4), dtype=np.uint8)
    array[:, 20:60, 0] = 255  # a red square in the middle of a wide RGBA image
    array[..., 3] = 255
    Image.fromarray(array).save(path)
    photo = square(load_photo(path), 20)
    assert photo.shape == (3, 20, 20)
    assert photo[0].min() > 0.9 and photo[1:].max() < 0.1  # only the centre square is kept


def test_to_tensor_image_handles_grey_and_float():
    grey = to_tensor_image(np.full((5, 7), 255, dtype=np.uint8))
    assert grey.shape == (1, 5, 7) and torch.all(grey == 1.0)
    rgb = to_tensor_image(np.full((5, 7, 3), 0.25))
    assert rgb.shape == (3, 5, 7) and torch.allclose(rgb, torch.tensor(0.25))


def test_transform_gallery_is_a_3x3_grid_of_different_augmentations():
    image = torch.rand(1, 28, 28)
    fig = G.transform_gallery(image, build_transforms(), n=9, seed=0, title="all")
    axes = _images(fig)
    assert len(axes) == 9
    arrays = [ax.images[0].get_array() for ax in axes]
    assert not np.allclose(arrays[0], arrays[1])
    assert fig._suptitle.get_text() == "all"


def test_galleries_are_reproducible():
    image = torch.rand(3, 32, 32)
    first = G.transform_gallery(image, build_transforms(), seed=3)
    second = G.transform_gallery(image, build_transforms(), seed=3)
    for a, b in zip(_images(first), _images(second), strict=True):
        np.testing.assert_array_equal(a.images[0].get_array(), b.images[0].get_array())


def test_padding_gallery_rows_share_the_draws_columns_the_modes():
    image = torch.rand(3, 32, 32)
    fig = G.padding_gallery(image, AugmentConfig(), n_rows=2, seed=1)
    axes = _images(fig)
    assert len(axes) == 2 * len(WARP_PADDING_MODES)
    assert [ax.get_title() for ax in axes[: len(WARP_PADDING_MODES)]] == list(WARP_PADDING_MODES)
    # same augmentation in a row: the centres agree, only the padded borders differ
    row = [np.asarray(ax.images[0].get_array()) for ax in axes[: len(WARP_PADDING_MODES)]]
    for other in row[1:]:
        np.testing.assert_allclose(other[12:20, 12:20], row[0][12:20, 12:20], atol=1e-5)


def test_galleries_cover_every_transform_the_set_and_the_padding_modes():
    config = AugmentConfig(do_flip=False)
    figures = G.galleries(torch.rand(1, 28, 28), config, n=9, seed=0)
    assert set(figures) == {f"{n}.png" for n in (*TRANSFORMS, "all", "padding_modes")}
    per_transform = [f for name, f in figures.items() if name != "padding_modes.png"]
    assert all(len(_images(f)) == 9 for f in per_transform)  # n = 9 draws each
    assert len(_images(figures["padding_modes.png"])) == 3 * len(WARP_PADDING_MODES)
    # the flip is shown even when the set leaves it out, and the set says so
    assert "flip" in figures["flip.png"]._suptitle.get_text()
    assert "no flip" in figures["all.png"]._suptitle.get_text()
    flipped = [np.asarray(ax.images[0].get_array()) for ax in _images(figures["flip.png"])]
    assert len({a.tobytes() for a in flipped}) == 2  # the image and its mirror


def test_describe_names_the_parameters():
    config = AugmentConfig()
    assert "20" in G.describe("rotate", config) and "reflection" in G.describe("rotate", config)
    assert "1.3" in G.describe("zoom", config)
