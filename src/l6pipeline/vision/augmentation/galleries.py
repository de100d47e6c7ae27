"""Galleries of augmented images: each transform alone, the full set, and the padding modes.

The lesson's ``_plot`` shows one image augmented nine times in a 3x3 grid; here that grid is
drawn for every transform of :mod:`l6pipeline.vision.augmentation.augment` and for the whole
set, plus one figure with the same augmentations under each padding mode side by side (rows:
augmentations, columns: ``zeros``, ``border``, ``reflection``), which shows why reflection
beats black corners.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from l6pipeline.core.params import ParameterError, Parameters, check_int
from l6pipeline.vision.augmentation.augment import TRANSFORMS, AugmentConfig, build_transforms
from l6pipeline.vision.augmentation.batch import augment
from l6pipeline.vision.augmentation.geometric import WARP_PADDING_MODES
from l6pipeline.vision.images.data import MNIST_CLASSES, ImageSet
from l6pipeline.vision.plotting.images import image_grid


@dataclass(frozen=True)
class GallerySettings(Parameters, what="galleries"):
    """The ``augmentation.galleries`` parameters: the photo and its size, the digit class shown,
    and how many augmentations each gallery holds."""

    photo: str | None = None  # a path to your own image; None: scikit-image's cat
    photo_size: int = 224  # the photo is centre-cropped to a square of this size
    digit_class: str = "3"  # the first digit of this class in the training subset
    n: int = 9  # augmentations per gallery
    padding_rows: int = 3  # augmentations in the padding-mode comparison
    seed: int = 0

    def __post_init__(self) -> None:
        if self.photo is not None and not isinstance(self.photo, str):
            raise ParameterError("photo", "must be a path to an image, or null", self.photo)
        check_int("photo_size", self.photo_size, minimum=1)
        if str(self.digit_class) not in MNIST_CLASSES:
            raise ParameterError("digit_class", "must be a digit from 0 to 9", self.digit_class)
        object.__setattr__(self, "digit_class", str(self.digit_class))
        check_int("n", self.n, minimum=1)
        check_int("padding_rows", self.padding_rows, minimum=1)
        check_int("seed", self.seed, minimum=0)


def transform_gallery(
    image: torch.Tensor,
    transform: torch.nn.Module,
    n: int = 9,
    seed: int = 0,
    title: str | None = None,
    ncols: int = 3,
    cell_size: float = 2.2,
) -> Figure:
    """``n`` random augmentations of one ``[C, H, W]`` image in a grid (the lesson's ``_plot``)."""
    batch = augment(transform, image.expand(n, *image.shape).contiguous(), seed=seed)
    return image_grid(batch, ncols=ncols, cell_size=cell_size, suptitle=title)


def padding_gallery(
    image: torch.Tensor,
    config: AugmentConfig,
    n_rows: int = 3,
    seed: int = 0,
    cell_size: float = 2.2,
) -> Figure:
    """The same random augmentations (rows) under each ``padding_mode`` (columns).

    fast.ai's ``get_transforms`` ``padding_mode``: ``zeros`` (black corners), ``border``,
    ``reflection`` (its default).

    The random draws do not depend on the padding mode, so one seed gives the same rotation,
    zoom and warp in every column; only how the uncovered pixels are filled changes.
    """
    batch = image.expand(n_rows, *image.shape).contiguous()
    columns = [
        augment(build_transforms(config.with_(padding_mode=mode)), batch, seed=seed)
        for mode in WARP_PADDING_MODES
    ]
    cells = [columns[col][row] for row in range(n_rows) for col in range(len(WARP_PADDING_MODES))]
    titles = [
        WARP_PADDING_MODES[col] if row == 0 else ""
        for row in range(n_rows)
        for col in range(len(WARP_PADDING_MODES))
    ]
    return image_grid(
        cells,
        titles=titles,
        ncols=len(WARP_PADDING_MODES),
        cell_size=cell_size,
        suptitle="same augmentation, three padding modes",
    )


def digit_gallery_image(images: ImageSet, class_name: str) -> torch.Tensor:
    """The first image of class ``class_name`` (the digit the galleries show)."""
    if class_name not in images.classes:
        raise ValueError(f"class {class_name!r} is not one of {images.classes}")
    wanted = images.classes.index(class_name)
    index = int((images.labels == wanted).nonzero()[0])
    return images.images[index]


def describe(name: str, config: AugmentConfig) -> str:
    """A figure title with the transform's parameters."""
    c = config
    return {
        "flip": f"flip (p={c.p_flip:g})",
        "warp": f"warp (max_warp={c.max_warp:g}, {c.padding_mode})",
        "rotate": f"rotate (±{c.max_rotate:g}°, {c.padding_mode})",
        "zoom": f"zoom (1…{c.max_zoom:g}, {c.padding_mode})",
        "brightness": f"brightness (max_lighting={c.max_lighting:g})",
        "contrast": f"contrast (max_lighting={c.max_lighting:g})",
        "all": (
            f"all transforms (p_affine={c.p_affine:g}, p_lighting={c.p_lighting:g}, "
            f"{c.padding_mode}{'' if c.do_flip else ', no flip'})"
        ),
    }[name]


def galleries(
    image: torch.Tensor, config: AugmentConfig, n: int = 9, seed: int = 0, padding_rows: int = 3
) -> dict[str, Figure]:
    """Every gallery of one image, keyed by file name (``rotate.png``, ``all.png`` ...).

    Per-transform galleries show each transform alone, the flip included even when
    ``config.do_flip`` is off (``all.png`` follows ``do_flip``).
    """
    figures: dict[str, Figure] = {}
    shown = config.with_(do_flip=True)
    for name in TRANSFORMS:
        transform = build_transforms(shown, only=[name])
        figures[f"{name}.png"] = transform_gallery(
            image, transform, n=n, seed=seed, title=describe(name, shown)
        )
    figures["all.png"] = transform_gallery(
        image, build_transforms(config), n=n, seed=seed, title=describe("all", config)
    )
    figures["padding_modes.png"] = padding_gallery(image, config, n_rows=padding_rows, seed=seed)
    return figures
