"""Your own images as an :class:`~l6pipeline.vision.images.data.ImageSet`: a folder, read with Pillow.

Two labelling conventions, as in fast.ai:

- ``label_from="folder"``: one sub-folder per class (``train/3/7463.png`` -> ``"3"``); the label
  is the name of the folder that holds the file.
- ``label_from="regex"``: the label is the first group of a regular expression searched in the
  file's path relative to the root, with ``/`` separators on every OS (Pets:
  ``([^/]+)_\\d+.jpg$`` takes ``Abyssinian`` from ``cats/Abyssinian_12.jpg``).

Files are listed, then sorted by that relative path before anything else happens, so labels,
classes and any split made with a seed do not depend on the order the file system lists them
in. Every image is converted to the requested channels (1: grayscale, 3: RGB) and resized to a
square of ``size`` pixels.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from l6pipeline.core.errors import UserInputError
from l6pipeline.core.params import ParameterError, Parameters, check_choice, check_int
from l6pipeline.vision.images.data import ImageSet

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
PETS_REGEX = r"([^/]+)_\d+.jpg$"


@dataclass(frozen=True)
class FolderConfig(Parameters, what="image-folder"):
    """Where the images are and how to read them (all from ``cnn.data`` parameters)."""

    path: str
    label_from: str = "folder"  # folder | regex
    regex: str | None = None  # required for label_from=regex; group 1 is the label
    pattern: str = "**/*"  # glob below `path`; e.g. "*/*/*.png" skips mnist_tiny's test/
    size: int = 28  # images become size x size
    channels: int = 1  # 1: grayscale, 3: RGB
    resize: str = "crop"  # crop: shorter side to `size`, centre crop | squish: ignore aspect

    def __post_init__(self) -> None:
        check_choice("label_from", self.label_from, ("folder", "regex"))
        if self.label_from == "regex" and not self.regex:
            raise ParameterError(
                "regex", "must be a regex with one group when label_from is regex", self.regex
            )
        check_choice("channels", self.channels, (1, 3))
        check_choice("resize", self.resize, ("crop", "squish"))
        check_int("size", self.size, minimum=1)


class ImageFolderError(UserInputError, FileNotFoundError):
    """The ``cnn.data.path`` folder is missing or holds no labelled image: names the folder,
    the pattern and the labelling that found nothing."""


def list_images(root: str | Path, pattern: str = "**/*") -> list[str]:
    """Image files below ``root`` matching ``pattern``, as sorted POSIX paths relative to it."""
    root = Path(root)
    if not root.is_dir():
        raise ImageFolderError(
            f"image folder {root} does not exist (parameter cnn.data.path): give a folder of "
            "images, one sub-folder per class or labels from a filename regex (docs/cnn.md)"
        )
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.glob(pattern)
        if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS
    )


def label_files(
    files: Iterable[str], label_from: str = "folder", regex: str | None = None
) -> tuple[list[str], list[str]]:
    """``(files, labels)`` for relative POSIX paths, sorted by path; unlabelled files dropped.

    With ``folder``, files directly in the root (no folder) have no label; with ``regex``,
    files the expression does not match have none. Dropped files are counted in the log.
    """
    files = sorted(files)
    labels: list[str | None]
    if label_from == "folder":
        labels = [f.rsplit("/", 2)[-2] if "/" in f else None for f in files]
    elif label_from == "regex":
        if not regex:
            raise ValueError("label_from='regex' needs a `regex` with one group")
        compiled = re.compile(regex)
        if compiled.groups < 1:
            raise ValueError(f"regex {regex!r} has no group to take the label from")
        matches = [compiled.search(f) for f in files]
        labels = [m.group(1) if m else None for m in matches]
    else:
        raise ValueError(f"label_from must be 'folder' or 'regex', got {label_from!r}")
    kept = [(f, lab) for f, lab in zip(files, labels, strict=True) if lab is not None]
    if len(kept) < len(files):
        logger.warning(
            "%d of %d images have no label and are left out", len(files) - len(kept), len(files)
        )
    return [f for f, _ in kept], [lab for _, lab in kept]


def read_image(path: str | Path, size: int, channels: int = 1, resize: str = "crop") -> np.ndarray:
    """One image as float32 ``[channels, size, size]`` in [0, 1] (Pillow, no torchvision)."""
    with Image.open(path) as opened:
        img = opened.convert("L" if channels == 1 else "RGB")
    if resize == "crop":
        scale = size / min(img.size)
        w, h = max(size, round(img.width * scale)), max(size, round(img.height * scale))
        img = img.resize((w, h), Image.Resampling.BILINEAR)
        left, top = (w - size) // 2, (h - size) // 2
        img = img.crop((left, top, left + size, top + size))
    else:
        img = img.resize((size, size), Image.Resampling.BILINEAR)
    array = np.asarray(img, dtype=np.float32) / 255.0
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def load_image_folder(config: FolderConfig) -> ImageSet:
    """Every labelled image below ``config.path`` as an :class:`ImageSet` (names: rel. paths).

    Classes are the sorted distinct labels; ``labels`` index into them.
    """
    root = Path(config.path)
    files, names = label_files(list_images(root, config.pattern), config.label_from, config.regex)
    if not files:
        raise ImageFolderError(
            f"no labelled images in {root} (pattern {config.pattern!r}, "
            f"label_from {config.label_from!r}, regex {config.regex!r}): check the parameters "
            "cnn.data.pattern, label_from and regex against the folder's files"
        )
    classes = tuple(sorted(set(names)))
    index = {name: i for i, name in enumerate(classes)}
    images = np.stack(
        [read_image(root / f, config.size, config.channels, config.resize) for f in files]
    )
    logger.info("read %d images of %d classes from %s", len(files), len(classes), root)
    return ImageSet(
        torch.from_numpy(images),
        torch.tensor([index[n] for n in names], dtype=torch.long),
        classes,
        tuple(files),
    )


def class_counts(labels: Sequence[int] | torch.Tensor, classes: Sequence[str]) -> dict[str, int]:
    """Images per class name (for the log and the docs)."""
    counts = np.bincount(np.asarray(labels), minlength=len(classes))
    return {name: int(c) for name, c in zip(classes, counts, strict=True)}
