"""The transform set: identities, symmetries, padding, reproducibility, shapes and dtypes."""

from __future__ import annotations

import pytest
import torch

from l6pipeline.vision.augmentation import augment as A
from l6pipeline.vision.augmentation import batch as B
from l6pipeline.vision.augmentation import geometric as G
from l6pipeline.vision.augmentation import lighting as L

ZERO = A.AugmentConfig(p_flip=0.0, max_rotate=0.0, max_zoom=1.0, max_warp=0.0, max_lighting=0.0)


@pytest.fixture
def batch() -> torch.Tensor:
    return torch.rand(6, 3, 24, 24, generator=torch.Generator().manual_seed(0))


def corners(images: torch.Tensor, k: int = 2) -> torch.Tensor:
    """The k x k corner patches of every image, stacked: [B, C, 4, k, k]."""
    return torch.stack(
        [
            images[..., :k, :k],
            images[..., :k, -k:],
            images[..., -k:, :k],
            images[..., -k:, -k:],
        ],
        dim=2,
    )


# ---- identity at magnitude 0 -------------------------------------------------------------


@pytest.mark.parametrize("name", A.TRANSFORMS)
def test_each_transform_is_the_identity_at_magnitude_zero(name, batch):
    out = B.augment(A.make_transform(name, ZERO), batch, seed=0)
    assert torch.equal(out, batch)


@pytest.mark.parametrize(
    "transform",
    [
        G.flip(p=0.0),
        G.rotate(0.0),
        G.zoom(1.0),
        G.warp(0.0),
        L.brightness(0.0),
        L.contrast(0.0),
    ],
    ids=["flip", "rotate", "zoom", "warp", "brightness", "contrast"],
)
def test_factories_at_magnitude_zero_are_the_identity(transform, batch):
    assert torch.equal(B.augment(transform, batch, seed=1), batch)


def test_a_set_with_everything_at_zero_is_the_identity(batch):
    transform = A.build_transforms(ZERO.with_(do_flip=False))
    assert len(transform) == 0
    assert torch.equal(B.augment(transform, batch, seed=0), batch)


def test_zero_probability_is_the_identity(batch):
    config = A.AugmentConfig(p_flip=0.0, p_affine=0.0, p_lighting=0.0)
    assert torch.equal(B.augment(A.build_transforms(config), batch, seed=0), batch)


@pytest.mark.parametrize("name", A.TRANSFORMS)
def test_probability_picks_which_samples_are_transformed(name):
    images = torch.rand(64, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    config = A.AugmentConfig(p_flip=0.5, p_affine=0.5, p_lighting=0.5)
    out = B.augment(A.make_transform(name, config), images, seed=0)
    untouched = (out == images).flatten(1).all(dim=1)
    assert 10 < int(untouched.sum()) < 54  # about half, and the rest really changed


# ---- geometric symmetries ----------------------------------------------------------------


def test_flipping_twice_gives_the_input_back(batch):
    flip = G.flip(p=1.0)
    once = B.augment(flip, batch)
    assert not torch.equal(once, batch)
    assert torch.equal(once, batch.flip(-1))
    assert torch.equal(B.augment(flip, once), batch)


@pytest.mark.parametrize("size", [16, 17])
@pytest.mark.parametrize(("degrees", "k"), [(90, -1), (180, 2), (-90, 1), (270, 1), (360, 0)])
def test_rotation_by_multiples_of_90_matches_rot90_away_from_the_borders(size, degrees, k):
    images = torch.rand(4, 2, size, size, generator=torch.Generator().manual_seed(size))
    for mode in G.WARP_PADDING_MODES:
        out = B.augment(G.rotate((degrees, degrees), padding_mode=mode), images, seed=0)
        expected = torch.rot90(images, k, dims=(2, 3))
        torch.testing.assert_close(
            out[..., 1:-1, 1:-1], expected[..., 1:-1, 1:-1], atol=1e-4, rtol=0
        )


def test_zoom_in_never_needs_padding():
    ones = torch.ones(256, 1, 28, 28)
    out = B.augment(G.zoom(1.5, padding_mode="zeros"), ones, seed=0)
    torch.testing.assert_close(out, ones, atol=1e-5, rtol=0)


def test_zoom_moves_its_centre_like_fastai():
    # A horizontal ramp: a centred zoom keeps the mean at 0.5, a random centre moves it.
    ramp = torch.linspace(0, 1, 32).expand(64, 1, 32, 32).contiguous()
    out = B.augment(G.zoom((1.5, 1.5)), ramp, seed=0)
    means = out.mean(dim=(1, 2, 3))
    assert means.std() > 0.05
    assert means.min() >= 1 / 6 - 1e-3 and means.max() <= 5 / 6 + 1e-3


# ---- padding ------------------------------------------------------------------------------


def test_reflection_padding_leaves_no_black_corners_where_zeros_does():
    ones = torch.full((8, 3, 32, 32), 0.8)
    for name in ("rotate", "warp"):
        config = A.AugmentConfig(max_rotate=45.0, max_warp=0.4)
        zeros = B.augment(A.make_transform(name, config.with_(padding_mode="zeros")), ones, 0)
        if name == "rotate":  # a 45-degree turn always uncovers all four corners
            zeros_45 = B.augment(G.rotate((45, 45), padding_mode="zeros"), ones, seed=0)
            assert corners(zeros_45).amax() == 0.0
        assert (corners(zeros, 1) == 0).any()
        for mode in ("reflection", "border"):
            other = B.augment(A.make_transform(name, config.with_(padding_mode=mode)), ones, 0)
            assert (corners(other, 1) > 0.5).all(), (name, mode)


def test_full_set_black_corners_only_with_zeros_padding():
    images = 0.2 + 0.8 * torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    config = A.AugmentConfig(do_flip=False)
    zeros = B.augment(A.build_transforms(config.with_(padding_mode="zeros")), images, seed=3)
    reflection = B.augment(A.build_transforms(config), images, seed=3)
    assert (corners(zeros, 1) < 1e-3).any()
    assert (corners(reflection, 1) > 1e-3).all()


def test_padding_mode_does_not_change_the_random_draws(batch):
    # Interior pixels agree between modes: only the filling of uncovered pixels differs.
    config = A.AugmentConfig(max_zoom=1.0, max_warp=0.0, max_lighting=0.0, max_rotate=10.0)
    outs = [
        B.augment(A.build_transforms(config.with_(padding_mode=m)), batch, seed=5)
        for m in G.WARP_PADDING_MODES
    ]
    centre = slice(8, 16)
    for out in outs[1:]:
        torch.testing.assert_close(out[..., centre, centre], outs[0][..., centre, centre])


def test_unknown_padding_mode_is_rejected():
    with pytest.raises(ValueError, match="padding_mode"):
        G.rotate(10, padding_mode="wrap")
    with pytest.raises(ValueError, match="padding_mode"):
        A.AugmentConfig(padding_mode="constant")


# ---- lighting -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["brightness", "contrast"])
def test_lighting_stays_in_range_and_keeps_black_and_white(name):
    # On the logit scale 0 and 1 sit at -16 and +16: a shift or a scale of 0.6 leaves them put.
    images = torch.rand(32, 3, 8, 8)
    images[..., 0, 0], images[..., 0, 1] = 0.0, 1.0
    out = B.augment(A.make_transform(name, A.AugmentConfig(max_lighting=0.4)), images, seed=0)
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not torch.allclose(out, images)
    torch.testing.assert_close(out[..., 0, 0], images[..., 0, 0], atol=1e-3, rtol=0)
    torch.testing.assert_close(out[..., 0, 1], images[..., 0, 1], atol=1e-3, rtol=0)


def test_contrast_is_a_scale_on_the_logit_scale():
    images = torch.tensor([0.2, 0.5, 0.8]).view(1, 1, 1, 3).expand(256, 1, 1, 3).contiguous()
    out = B.augment(L.contrast(0.4), images, seed=0)
    logits = torch.logit(out.double())
    scale = logits[..., 2] / torch.logit(torch.tensor(0.8, dtype=torch.float64))
    torch.testing.assert_close(out[..., 1], images[..., 1])  # 0.5 is the pivot
    torch.testing.assert_close(logits[..., 0], -logits[..., 2], atol=1e-5, rtol=0)
    assert scale.min() >= 0.6 - 1e-4 and scale.max() <= 1 / 0.6 + 1e-4


def test_brightness_moves_mid_grey_within_the_fastai_range():
    grey = torch.full((512, 1, 2, 2), 0.5)
    out = B.augment(L.brightness(0.4), grey, seed=0)
    # logit(0.5) = 0, so the output is the sampled change itself: uniform in [0.3, 0.7]
    assert out.min() >= 0.3 - 1e-6 and out.max() <= 0.7 + 1e-6
    assert out.min() < 0.35 and out.max() > 0.65


def test_lighting_magnitude_must_be_below_one():
    with pytest.raises(ValueError):
        L.contrast(1.0)
    with pytest.raises(ValueError):
        A.AugmentConfig(max_lighting=1.0)


# ---- reproducibility, shapes, dtypes, devices ----------------------------------------------


def test_the_same_seed_gives_the_same_batch(batch):
    transform = A.build_transforms()
    first = B.augment(transform, batch, seed=7)
    assert torch.equal(first, B.augment(A.build_transforms(), batch, seed=7))
    assert not torch.equal(first, B.augment(transform, batch, seed=8))


def test_the_global_seed_makes_the_module_reproducible(batch):
    transform = A.build_transforms()
    torch.manual_seed(3)
    first = transform(batch)
    torch.manual_seed(3)
    assert torch.equal(first, transform(batch))


def test_seeded_augment_leaves_the_global_generator_alone(batch):
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    B.augment(A.build_transforms(), batch, seed=0)
    assert torch.equal(torch.rand(3), expected)


def test_samples_in_a_batch_get_different_augmentations():
    same = torch.rand(1, 1, 20, 20).expand(8, 1, 20, 20).contiguous()
    out = B.augment(A.build_transforms(), same, seed=0)
    assert len({tuple(o.flatten().tolist()) for o in out}) == 8


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(5, 1, 28, 28), (3, 3, 20, 32), (1, 3, 64, 48)])
def test_shapes_and_dtypes_are_kept(shape, dtype):
    images = torch.rand(shape, dtype=dtype)
    for name in A.TRANSFORMS:
        out = B.augment(A.make_transform(name), images, seed=0)
        assert out.shape == images.shape and out.dtype == dtype, name
    out = B.augment(A.build_transforms(), images, seed=0)
    assert out.shape == images.shape and out.dtype == dtype
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


def test_input_is_not_modified(batch):
    before = batch.clone()
    A.BatchAugmenter()(batch)
    assert torch.equal(batch, before)


def test_non_batches_and_integer_images_are_rejected():
    with pytest.raises(ValueError, match="B, C, H, W"):
        B.apply(A.build_transforms(), torch.rand(3, 8, 8))
    with pytest.raises(TypeError, match="float"):
        B.apply(A.build_transforms(), torch.zeros(1, 3, 8, 8, dtype=torch.uint8))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_batches_get_the_same_augmentation_as_cpu(batch):
    transform = A.build_transforms()
    cpu = B.augment(transform, batch, seed=4)
    gpu = B.augment(transform, batch.cuda(), seed=4)
    assert gpu.is_cuda
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-4, rtol=0)


# ---- the configuration --------------------------------------------------------------------


def test_defaults_are_the_lessons_values():
    config = A.AugmentConfig()
    assert (config.max_rotate, config.max_zoom, config.max_warp, config.max_lighting) == (
        20.0,
        1.3,
        0.4,
        0.4,
    )
    assert (config.p_affine, config.p_lighting, config.do_flip) == (1.0, 1.0, True)
    assert config.padding_mode == "reflection"


def test_set_order_and_flip_switch():
    names = [type(t).__name__ for t in A.build_transforms()]
    assert names == [
        "RandomHorizontalFlip",
        "RandomWarp",
        "RandomRotate",
        "RandomZoom",
        "RandomLogitBrightness",
        "RandomLogitContrast",
    ]
    no_flip = [type(t).__name__ for t in A.build_transforms(A.AugmentConfig(do_flip=False))]
    assert "RandomHorizontalFlip" not in no_flip
    only = A.build_transforms(only=["rotate"])
    assert [type(t).__name__ for t in only] == ["RandomRotate"]


def test_from_params_rejects_typos_and_unknown_transforms():
    assert A.AugmentConfig.from_params({"max_rotate": 5}).max_rotate == 5
    assert A.AugmentConfig.from_params(None) == A.AugmentConfig()
    with pytest.raises(ValueError, match="max_rotation"):
        A.AugmentConfig.from_params({"max_rotation": 5})
    with pytest.raises(ValueError, match="unknown transform"):
        A.build_transforms(only=["shear"])
    with pytest.raises(ValueError, match="max_zoom"):
        A.AugmentConfig(max_zoom=0.9)
    with pytest.raises(ValueError, match="warp_sampling"):
        A.AugmentConfig(warp_sampling="wild")


@pytest.mark.parametrize("sampling", G.WARP_SAMPLINGS)
def test_every_warp_sampling_runs_and_is_bounded(sampling):
    images = torch.rand(16, 1, 16, 16)
    transform = G.warp(0.3, sampling_method=sampling)
    out = B.augment(transform, images, seed=0)
    assert out.shape == images.shape
    start, end = transform._params["start_points"], transform._params["end_points"]
    assert (end - start).abs().max() <= 0.3 * 16 / 2 + 1e-4
