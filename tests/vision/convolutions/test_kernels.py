"""Hand-made kernels (sums from their definitions), padding modes, stride, average pooling."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F

from l6pipeline.core.params import ParameterError
from l6pipeline.vision.convolutions.kernels import (
    KERNELS,
    KernelSettings,
    apply_kernel,
    average_pool,
    kernel_sum,
    lesson_edge_kernel,
    output_shape,
    pad,
)
from l6pipeline.vision.images.photos import load_photo, shrink, to_grayscale

# From the definitions: a flat region keeps its value (sum 1) or becomes 0 (edge detectors).
EXPECTED_SUMS = {
    "identity": 1,
    "box_blur": 1,
    "gaussian_blur": 1,
    "sharpen": 1,  # 5 - 4
    "emboss": 1,  # (-2 - 1 - 1) + 1 + (1 + 1 + 2) = 1
    "sobel_x": 0,
    "sobel_y": 0,
    "outline": 0,  # 8 - 8
    "lesson_edge": 0,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SUMS))
def test_kernels_sum_as_their_definition_says(name):
    assert kernel_sum(KERNELS[name]) == pytest.approx(EXPECTED_SUMS[name], abs=1e-6)


def test_the_kernel_list_is_the_one_the_docs_describe():
    assert set(KERNELS) == set(EXPECTED_SUMS)


def test_the_lessons_edge_kernel_sums_to_zero_exactly_and_to_float_rounding_in_float32():
    exact = [
        [Fraction(0), Fraction(-5, 3), Fraction(1)],
        [Fraction(-5, 3), Fraction(-5, 3), Fraction(1)],
        [Fraction(1), Fraction(1), Fraction(1)],
    ]
    assert sum(sum(row) for row in exact) / 6 == 0  # five 1s against three -5/3s
    k = lesson_edge_kernel(3)
    assert k.shape == (1, 3, 3, 3)
    assert k.dtype == torch.float32
    # float32 cannot hold -5/18 exactly: the computed sum is ~2e-7, not 0.
    assert 0 < abs(kernel_sum(k)) < 1e-6
    assert (k[0, 0] == k[0, 1]).all() and (k[0, 1] == k[0, 2]).all()
    torch.testing.assert_close(
        k[0, 0] * 6, torch.tensor([[0.0, -5 / 3, 1], [-5 / 3, -5 / 3, 1], [1, 1, 1]])
    )


def test_edge_kernels_map_a_flat_image_to_zero_and_blurs_keep_it():
    flat = torch.full((1, 9, 9), 0.4)
    for name, total in EXPECTED_SUMS.items():
        out = apply_kernel(flat, KERNELS[name], padding=0)
        torch.testing.assert_close(out, torch.full_like(out, 0.4 * total), atol=1e-6, rtol=0)


def test_the_lesson_kernel_mixes_three_channels_into_one():
    photo = torch.rand(3, 10, 12, generator=torch.Generator().manual_seed(0))
    out = apply_kernel(photo, lesson_edge_kernel(3))
    assert out.shape == (1, 10, 12)
    expected = F.conv2d(photo[None], lesson_edge_kernel(3), padding=1)[0]
    torch.testing.assert_close(out, expected)


def test_a_3x3_kernel_is_applied_per_channel():
    photo = torch.rand(3, 8, 8, generator=torch.Generator().manual_seed(1))
    out = apply_kernel(photo, KERNELS["identity"])
    torch.testing.assert_close(out, photo)
    blurred = apply_kernel(photo, KERNELS["box_blur"], padding=0)
    torch.testing.assert_close(blurred[1, 0, 0], photo[1, :3, :3].mean())


def test_padding_modes():
    x = torch.tensor([1.0, 2.0, 3.0]).repeat(3, 1)[None]  # [1, 3, 3], every row 1 2 3
    zeros, reflect, replicate = (pad(x, 1, m) for m in ("zeros", "reflection", "replicate"))
    assert zeros[0, 1].tolist() == [0, 1, 2, 3, 0]
    assert reflect[0, 1].tolist() == [2, 1, 2, 3, 2]  # mirrored, the edge pixel not repeated
    assert replicate[0, 1].tolist() == [1, 1, 2, 3, 3]  # the edge pixel repeated
    with pytest.raises(ValueError, match="padding mode"):
        pad(x, 1, "circular")


@pytest.mark.parametrize("mode", ["zeros", "reflection", "replicate"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", [0, 1, 2, 4])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_output_shapes_for_padding_and_stride_match_the_formula(mode, stride, padding, k):
    image = torch.rand(2, 13, 20)
    kernel = torch.ones(k, k)
    out = apply_kernel(image, kernel, padding=padding, mode=mode, stride=stride)
    expected = ((13 + 2 * padding - k) // stride + 1, (20 + 2 * padding - k) // stride + 1)
    assert tuple(out.shape[-2:]) == expected == output_shape((13, 20), k, stride, padding)
    # and nn.Conv2d with the same padding mode agrees
    torch_mode = {"zeros": "zeros", "reflection": "reflect", "replicate": "replicate"}[mode]
    conv = torch.nn.Conv2d(2, 2, k, stride, padding, padding_mode=torch_mode)
    assert conv(image[None]).shape[-2:] == out.shape[-2:]


def test_stride_two_keeps_every_other_output():
    image = torch.rand(1, 12, 12, generator=torch.Generator().manual_seed(2))
    kernel = KERNELS["outline"]
    full = apply_kernel(image, kernel, stride=1)
    strided = apply_kernel(image, kernel, stride=2)
    torch.testing.assert_close(strided, full[:, ::2, ::2])


def test_average_pooling():
    image = torch.arange(16.0).reshape(1, 4, 4)
    assert average_pool(image, 2).tolist() == [[[2.5, 4.5], [10.5, 12.5]]]
    assert average_pool(image, None).shape == (1, 1, 1)
    assert float(average_pool(image, None)) == pytest.approx(7.5)


def test_photo_and_grayscale():
    photo = shrink(load_photo(), max_side=64)
    assert photo.shape[0] == 3 and max(photo.shape[1:]) == 64
    assert 0 <= float(photo.min()) and float(photo.max()) <= 1
    gray = to_grayscale(photo)
    assert gray.shape == (1, *photo.shape[1:])
    assert to_grayscale(gray) is gray


def test_kernel_settings_name_a_kernel_or_size_out_of_range():
    assert KernelSettings.from_params({"pool_sizes": [2, None]}).pool_sizes == (2, None)
    with pytest.raises(
        ParameterError, match=r"^padding_kernel = 'blur': must be one of 'identity'"
    ):
        KernelSettings.from_params({"padding_kernel": "blur"})
    with pytest.raises(
        ParameterError, match=r"^pool_sizes\[0\] = 0: must be an integer >= 1 or null$"
    ):
        KernelSettings.from_params({"pool_sizes": [0]})
    with pytest.raises(ParameterError, match=r"^photo_max_sid: unknown kernels parameters"):
        KernelSettings.from_params({"photo_max_sid": 10})
