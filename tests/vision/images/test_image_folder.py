"""Image folders: labels from folders or a regex, resizing, and splits independent of listing order."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from l6pipeline.core.errors import UserInputError
from l6pipeline.vision.images.data import stratified_split
from l6pipeline.vision.images.image_folder import (
    PETS_REGEX,
    FolderConfig,
    ImageFolderError,
    label_files,
    list_images,
    load_image_folder,
    read_image,
)


def _write(path: Path, value: int, size=(20, 30), mode="L") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    array = np.full((size[1], size[0]) if mode == "L" else (size[1], size[0], 3), value, np.uint8)
    Image.fromarray(array, mode=mode).save(path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """train/<cat|dog>/<n>.png plus an unlabelled file at the root and a non-image."""
    root = tmp_path / "pets"
    for i in range(6):
        _write(root / "train" / "cat" / f"{i}.png", 40 + i)
        _write(root / "train" / "dog" / f"{i}.jpg", 200 - i, mode="RGB")
    _write(root / "loose.png", 10)
    (root / "notes.txt").write_text("not an image")
    return root


def test_folder_labels(folder: Path):
    images = load_image_folder(FolderConfig(path=str(folder), size=16))
    assert images.classes == ("cat", "dog")
    assert len(images) == 12  # loose.png has no folder, notes.txt is no image
    assert images.images.shape == (12, 1, 16, 16)
    assert images.images.dtype == torch.float32
    assert images.names[0] == "train/cat/0.png"
    assert images.labels.tolist() == [0] * 6 + [1] * 6
    # grayscale values survive (uniform images, so resizing keeps them)
    assert float(images.images[0].mean()) == pytest.approx(40 / 255, abs=1e-3)


def test_regex_labels_on_pets_names(tmp_path: Path):
    root = tmp_path / "images"
    for breed in ("Abyssinian", "great_pyrenees", "Bengal"):
        for n in (1, 12):
            _write(root / f"{breed}_{n}.jpg", 120, mode="RGB")
    _write(root / "README_x.jpg", 1, mode="RGB")  # no number: the regex does not match
    images = load_image_folder(
        FolderConfig(path=str(root), label_from="regex", regex=PETS_REGEX, size=8, channels=3)
    )
    assert images.classes == ("Abyssinian", "Bengal", "great_pyrenees")
    assert len(images) == 6
    assert images.images.shape == (6, 3, 8, 8)


def test_splits_do_not_depend_on_file_listing_order(folder: Path, tmp_path: Path):
    files = list_images(folder)
    shuffled = files[:]
    random.Random(0).shuffle(shuffled)
    assert label_files(shuffled) == label_files(files)
    # a copy written in another order lists and splits the same way
    copy = tmp_path / "copy"
    for rel in reversed(files):
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / rel, copy / rel)
    a = load_image_folder(FolderConfig(path=str(folder), size=8))
    b = load_image_folder(FolderConfig(path=str(copy), size=8))
    assert a.names == b.names
    for part_a, part_b in zip(
        stratified_split(a.labels, [0.5, 0.25, 0.25], 7),
        stratified_split(b.labels, [0.5, 0.25, 0.25], 7),
        strict=True,
    ):
        assert [a.names[i] for i in part_a] == [b.names[i] for i in part_b]


def test_resize_crop_and_squish(tmp_path: Path):
    path = tmp_path / "wide.png"
    array = np.zeros((10, 40), np.uint8)
    array[:, :10] = 255  # a white left quarter
    Image.fromarray(array).save(path)
    crop = read_image(path, 10, 1, "crop")  # the centre 10x10: no white
    squish = read_image(path, 10, 1, "squish")  # the whole width squeezed: white on the left
    assert crop.shape == squish.shape == (1, 10, 10)
    assert crop.max() < 0.1
    assert squish[0, :, 0].min() > 0.9


def test_bad_configurations_fail_loudly(folder: Path, tmp_path: Path):
    with pytest.raises(ValueError, match="label_from"):
        FolderConfig(path=str(folder), label_from="csv")
    with pytest.raises(ValueError, match="regex"):
        FolderConfig(path=str(folder), label_from="regex")
    with pytest.raises(ValueError, match="unknown"):
        FolderConfig.from_params({"path": str(folder), "colour": 3})
    nowhere = tmp_path / "nowhere"
    with pytest.raises(ImageFolderError) as caught:
        load_image_folder(FolderConfig(path=str(nowhere)))
    assert isinstance(caught.value, UserInputError) and isinstance(caught.value, FileNotFoundError)
    assert str(caught.value) == (
        f"image folder {nowhere} does not exist (parameter cnn.data.path): give a folder of "
        "images, one sub-folder per class or labels from a filename regex (docs/cnn.md)"
    )
    with pytest.raises(
        ImageFolderError,
        match=rf"^no labelled images in {folder} \(pattern '\*\.txt', label_from 'folder', "
        r"regex None\): check the parameters cnn.data.pattern, label_from and regex",
    ):
        load_image_folder(FolderConfig(path=str(folder), pattern="*.txt"))


@pytest.mark.realimages
def test_mnist_tiny_by_folder(real_images: Path):
    root = real_images / "mnist_tiny"
    images = load_image_folder(FolderConfig(path=str(root), pattern="*/*/*.png", size=28))
    assert images.classes == ("3", "7")
    labelled = sum(1 for _ in root.glob("*/*/*.png"))
    assert len(images) == labelled
    assert images.images.shape[1:] == (1, 28, 28)
    assert not any(n.startswith("test/") for n in images.names)


@pytest.mark.realimages
def test_oxford_pets_by_regex(real_images: Path):
    root = real_images / "oxford_pets_sample" / "sample_images"
    images = load_image_folder(
        FolderConfig(path=str(root), label_from="regex", regex=PETS_REGEX, size=32, channels=3)
    )
    assert len(images.classes) == 37
    assert len(images) == 370
    assert np.bincount(images.labels.numpy()).tolist() == [10] * 37
    assert images.images.shape[1:] == (3, 32, 32)
