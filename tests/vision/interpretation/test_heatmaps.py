"""Hooks, the lesson's channel-mean heatmap and Grad-CAM (checked against a hand computation)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from l6pipeline.vision.cnn.models import SmallCNN
from l6pipeline.vision.interpretation.heatmaps import (
    channel_mean_heatmap,
    feature_geometry,
    grad_cam,
    hook_gradient,
    hook_output,
    normalize,
    upsample,
)


class Boom(nn.Module):
    def forward(self, x):
        raise RuntimeError("boom")


def _no_hooks(module: nn.Module) -> bool:
    return not module._forward_hooks and not module._backward_hooks


def test_hook_output_stores_the_output_and_is_removed():
    layer = nn.Conv2d(1, 2, 3)
    x = torch.rand(1, 1, 5, 5)
    with hook_output(layer) as hook:
        out = layer(x)
    torch.testing.assert_close(hook.value, out.detach())
    assert not hook.value.requires_grad
    assert _no_hooks(layer)
    layer(x)  # no hook left to fire
    torch.testing.assert_close(hook.value, out.detach())


def test_hooks_are_removed_when_the_forward_raises():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), Boom())
    layer = model[0]
    with pytest.raises(RuntimeError, match="boom"), hook_output(layer), hook_gradient(layer):
        model(torch.rand(1, 1, 5, 5))
    assert _no_hooks(layer)


def test_hooks_are_removed_when_grad_cam_raises():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(1, 2, 3)), Boom())
    with pytest.raises(RuntimeError, match="boom"):
        grad_cam(model, torch.rand(1, 1, 5, 5), model[0])
    assert _no_hooks(model[0])


def test_an_unfired_hook_says_so():
    with hook_output(nn.Identity()) as hook, pytest.raises(RuntimeError, match="not fired"):
        _ = hook.value


def test_hook_gradient_catches_the_gradient_of_the_output():
    layer = nn.Linear(3, 2)
    x = torch.rand(4, 3, requires_grad=True)
    with hook_gradient(layer) as grad:
        (layer(x) * torch.tensor([2.0, -1.0])).sum().backward()
    torch.testing.assert_close(grad.value, torch.tensor([[2.0, -1.0]]).expand(4, 2))
    assert _no_hooks(layer)


class Tiny(nn.Module):
    """1x1 conv (weights 2 and -1) -> global average pool -> linear (no bias)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, kernel_size=1, bias=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.features[0].weight.copy_(torch.tensor([2.0, -1.0]).view(2, 1, 1, 1))
            self.head.weight.copy_(torch.tensor([[1.0, 3.0], [-1.0, 0.5]]))

    def forward(self, x):
        return self.head(self.pool(self.features(x)).flatten(1))


def test_grad_cam_matches_a_hand_computation():
    # Activations: A0 = 2x, A1 = -x. Score_c = sum_k W[c,k] * mean(A_k), so
    # d score_c / d A_k(i,j) = W[c,k] / 4 on a 2x2 map: alpha_k = W[c,k] / 4.
    # Class 0: alpha = (1/4, 3/4) -> L = ReLU(2x/4 - 3x/4) = ReLU(-x/4)
    # Class 1: alpha = (-1/4, 1/8) -> L = ReLU(-2x/4 - x/8) = ReLU(-5x/8)
    model = Tiny()
    x = torch.tensor([[1.0, 2.0], [0.0, -1.0]]).view(1, 1, 2, 2)
    cam0, logits = grad_cam(model, x, model.features, target=0)
    cam1, _ = grad_cam(model, x, model.features, target=1)
    torch.testing.assert_close(cam0, torch.tensor([[[0.0, 0.0], [0.0, 0.25]]]))
    torch.testing.assert_close(cam1, torch.tensor([[[0.0, 0.0], [0.0, 0.625]]]))
    # logits by hand: mean(x) = 0.5, mean(A0) = 1, mean(A1) = -0.5
    torch.testing.assert_close(logits, torch.tensor([[1.0 - 1.5, -1.0 - 0.25]]))
    # the predicted class is 0 (-0.5 > -1.25): the default target
    torch.testing.assert_close(grad_cam(model, x, model.features)[0], cam0)


def test_grad_cam_relu_removes_evidence_against_the_class():
    model = Tiny()
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 1, 2, 2)  # all positive -> -x/4 < 0
    cam, _ = grad_cam(model, x, model.features, target=0)
    assert (cam == 0).all()


def test_grad_cam_per_image_targets_and_no_side_effects():
    torch.manual_seed(0)
    model = SmallCNN(1, 10, (4, 8), None, 0.5)
    model.train()
    x = torch.rand(3, 1, 16, 16)
    cams, logits = grad_cam(model, x, model.features[-1], target=torch.tensor([1, 2, 3]))
    assert cams.shape == (3, 4, 4) and logits.shape == (3, 10)
    assert (cams >= 0).all()
    assert model.training  # mode restored
    assert all(p.grad is None for p in model.parameters())  # parameter grads untouched
    # images are independent in eval mode: one at a time gives the same maps
    single, _ = grad_cam(model, x[1:2], model.features[-1], target=2)
    torch.testing.assert_close(single[0], cams[1], atol=1e-5, rtol=1e-4)
    assert _no_hooks(model.features[-1])


def test_channel_mean_is_the_mean_of_the_hooked_activations():
    torch.manual_seed(1)
    model = SmallCNN(1, 10, (4, 8), None, 0.0).eval()
    x = torch.rand(2, 1, 16, 16)
    heat, logits = channel_mean_heatmap(model, x, model.features[-1])
    with torch.no_grad():
        acts = model.features(x)
    torch.testing.assert_close(heat, acts.mean(dim=1))
    torch.testing.assert_close(logits, model(x))


def test_feature_geometry_of_stride_2_padding_1_convolutions():
    assert feature_geometry(SmallCNN(1, 2, (4, 4, 4)).features) == (8.0, 0.0)
    assert feature_geometry(SmallCNN(1, 2, (4, 4, 4), (2, 2, 1)).features) == (4.0, 0.0)
    assert feature_geometry(nn.Conv2d(1, 1, 3)) == (1.0, 1.0)  # valid conv: cell k at pixel k+1
    pool = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(2))
    assert feature_geometry(pool) == (2.0, 0.5)


def test_upsample_places_a_cell_on_its_centre():
    heat = torch.zeros(1, 8, 8)
    heat[0, 2, 5] = 1.0
    placed = upsample(heat, 64, geometry=(8.0, 0.0))
    assert divmod(int(placed.argmax()), 64) == (16, 40)
    plain = upsample(heat, 64)  # align_corners=False: cell k around pixel 8k + 3.5
    y, x = divmod(int(plain.argmax()), 64)
    assert abs(y - 19.5) <= 0.5 and abs(x - 43.5) <= 0.5


def test_normalize():
    heat = torch.tensor([[[1.0, 3.0]], [[2.0, 2.0]]])
    torch.testing.assert_close(normalize(heat), torch.tensor([[[0.0, 1.0]], [[0.0, 0.0]]]))
