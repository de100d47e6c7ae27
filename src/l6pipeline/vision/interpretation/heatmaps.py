"""Where a CNN looks: activations and gradients caught with PyTorch hooks.

Lesson 6 hooks the output of the last convolutional block (``hook_output(m[0])``) and averages
its channels into a heatmap, then hooks gradients too (``hook_output(m[0], grad=True)``, built
on the now deprecated ``register_backward_hook``) for Grad-CAM. Here:

- :func:`hook_output` registers a forward hook and :func:`hook_gradient` a full backward hook
  (``register_full_backward_hook``), each as a context manager that removes its hook on exit,
  also when the forward or backward pass raises;
- :func:`channel_mean_heatmap` is the lesson's heatmap: the mean over channels of the hooked
  activations ``A [N, K, h, w]``;
- :func:`grad_cam` is Grad-CAM (Selvaraju et al., 2017): channel ``k`` is weighted by the mean
  over positions of ``d score_c / d A_k``, and the weighted sum goes through a ReLU (only
  evidence *for* class ``c`` is kept), ``L = ReLU(sum_k alpha_k A_k)``.

Both heatmaps have the resolution of the hooked layer; :func:`upsample` brings them to the
image's size for overlays and the pointing game. Plain bilinear resizing (``align_corners=False``,
what ``imshow(extent=...)`` does too) assumes cell ``k`` of an ``s``-times smaller map is centred
on pixel ``s*k + (s-1)/2``. A 3x3 convolution with padding 1 and stride 2 centres its output
``k`` on input pixel ``2k``, so after three of them cell ``k`` looks at pixel ``8k``, 3.5 pixels
up-left of where plain resizing draws it. :func:`feature_geometry` computes the true
``(scale, offset)`` of a chain of layers and :func:`upsample` with ``geometry=`` places each
cell on its own centre.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Hook:
    """What a hook caught: ``stored`` is ``None`` until the hook fires."""

    stored: torch.Tensor | None = None

    @property
    def value(self) -> torch.Tensor:
        if self.stored is None:
            raise RuntimeError("the hook has not fired: run the model inside the `with` block")
        return self.stored


def _first_tensor(output) -> torch.Tensor:
    return output[0] if isinstance(output, tuple | list) else output


@contextmanager
def hook_output(module: nn.Module, detach: bool = True) -> Iterator[Hook]:
    """Keep ``module``'s latest output in ``hook.stored`` for the duration of the block.

    ``detach=False`` keeps the output in the autograd graph (to differentiate with respect to
    it). The hook is removed on exit, whatever happens inside.
    """
    hook = Hook()

    def _store(_module, _inputs, output) -> None:
        out = _first_tensor(output)
        hook.stored = out.detach() if detach else out

    handle = module.register_forward_hook(_store)
    try:
        yield hook
    finally:
        handle.remove()


@contextmanager
def hook_gradient(module: nn.Module) -> Iterator[Hook]:
    """Keep the gradient of the loss with respect to ``module``'s output (``grad_output``).

    A full backward hook, removed on exit whatever happens inside. It fires once the backward
    pass has gone through ``module``, so differentiate with respect to the model's input or
    parameters (not with respect to the hooked output itself).
    """
    hook = Hook()

    def _store(_module, _grad_input, grad_output) -> None:
        hook.stored = _first_tensor(grad_output).detach()

    handle = module.register_full_backward_hook(_store)
    try:
        yield hook
    finally:
        handle.remove()


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode (batch-norm statistics frozen, dropout off), restoring the previous mode."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _on_model_device(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    param = next(model.parameters(), None)
    return x if param is None else x.to(param.device)


@torch.no_grad()
def channel_mean_heatmap(
    model: nn.Module, x: torch.Tensor, layer: nn.Module
) -> tuple[torch.Tensor, torch.Tensor]:
    """The lesson's heatmap ``[N, h, w]`` (mean of ``layer``'s channels) and the logits."""
    with _eval_mode(model), hook_output(layer) as acts:
        logits = model(_on_model_device(model, x))
    return acts.value.mean(dim=1).cpu(), logits.cpu()


def grad_cam(
    model: nn.Module,
    x: torch.Tensor,
    layer: nn.Module,
    target: torch.Tensor | int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Grad-CAM heatmaps ``[N, h, w]`` at ``layer`` for class ``target`` and the logits.

    ``target``: one class per image, one class for all, or ``None`` for each image's predicted
    class. In eval mode images do not interact (batch norm uses its running statistics), so
    one backward pass of the summed class scores gives every image its own gradients. The
    model's parameter gradients (``.grad``) are left untouched.
    """
    with _eval_mode(model), hook_output(layer) as acts, hook_gradient(layer) as grads:
        with torch.enable_grad():
            # The input requires grad so the backward pass reaches (and fires) the hook even
            # when `layer` is the first layer.
            x = _on_model_device(model, x).detach().requires_grad_(True)
            logits = model(x)
            if target is None:
                target = logits.argmax(dim=1)
            target = torch.as_tensor(target, device=logits.device).expand(len(logits))
            score = logits.gather(1, target[:, None]).sum()
            torch.autograd.grad(score, x)
        weights = grads.value.mean(dim=(2, 3), keepdim=True)  # alpha_k: mean gradient
        cam = torch.relu((weights * acts.value).sum(dim=1))
    return cam.cpu(), logits.detach().cpu()


def _pair(value) -> int | float:
    return value[0] if isinstance(value, tuple | list) else value


def feature_geometry(module: nn.Module) -> tuple[float, float]:
    """``(scale, offset)``: output cell ``k`` of ``module`` is centred on input pixel ``scale*k + offset``.

    Walks ``module``'s convolutions and pooling layers in registration order, so it holds for a
    chain such as ``SmallCNN.features`` (square kernels, equal strides along both axes).
    """
    scale, offset = 1.0, 0.0
    for layer in module.modules():
        if not isinstance(layer, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
            continue
        kernel = _pair(layer.kernel_size)
        stride = _pair(layer.stride) or kernel
        dilation = _pair(getattr(layer, "dilation", 1))
        padding = layer.padding
        extent = dilation * (kernel - 1) / 2
        if isinstance(padding, str):  # "valid" or "same" (stride 1)
            padding = 0 if padding == "valid" else extent
        padding = _pair(padding)
        # this layer's output k sits on its input index stride*k - padding + extent
        offset += scale * (extent - padding)
        scale *= stride
    return scale, offset


def _placed_axis(n_in: int, n_out: int, scale: float, offset: float) -> torch.Tensor:
    """Normalized grid_sample coordinates (align_corners=True) of output pixels on ``n_in`` cells."""
    if n_in == 1:
        return torch.zeros(n_out)
    cells = (torch.arange(n_out, dtype=torch.float32) - offset) / scale
    return 2 * cells / (n_in - 1) - 1


def upsample(
    heatmaps: torch.Tensor,
    size: tuple[int, int] | int,
    geometry: tuple[float, float] | None = None,
) -> torch.Tensor:
    """``[N, h, w]`` -> ``[N, H, W]`` by bilinear interpolation (for overlays, pointing game).

    ``geometry=None``: plain resizing (``align_corners=False``). ``geometry=(scale, offset)``
    (see :func:`feature_geometry`): cell ``k`` lands on pixel ``scale*k + offset``, values in
    between are interpolated and values beyond the outer cells are held (border padding).
    """
    size = (size, size) if isinstance(size, int) else tuple(size)
    heat = heatmaps[:, None].float()
    if geometry is None:
        return F.interpolate(heat, size=size, mode="bilinear", align_corners=False)[:, 0]
    scale, offset = geometry
    gy = _placed_axis(heat.shape[-2], size[0], scale, offset)
    gx = _placed_axis(heat.shape[-1], size[1], scale, offset)
    yy, xx = torch.meshgrid(gy, gx, indexing="ij")
    grid = torch.stack([xx, yy], dim=-1)[None].expand(len(heat), -1, -1, -1).to(heat.device)
    out = F.grid_sample(heat, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out[:, 0]


def normalize(heatmaps: torch.Tensor) -> torch.Tensor:
    """Each heatmap rescaled to [0, 1] (a constant one becomes all zeros)."""
    flat = heatmaps.flatten(1)
    low = flat.min(dim=1).values[:, None, None]
    span = (flat.max(dim=1).values - flat.min(dim=1).values)[:, None, None]
    return torch.where(
        span > 0, (heatmaps - low) / span.clamp_min(1e-12), torch.zeros_like(heatmaps)
    )
