"""Applying a transform to a batch: shape and dtype checks, seeding, and the exact identity.

Every transform of :mod:`l6pipeline.vision.augmentation.augment` works on a whole batch
``[B, C, H, W]`` of float images in ``[0, 1]`` at once; :func:`augment` applies one
reproducibly, and :func:`keep_where` makes a transform at magnitude 0 exactly the identity.
"""

from __future__ import annotations

import torch


def keep_where(still: torch.Tensor, input: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """``input`` for the samples flagged in ``still`` (a CPU bool vector computed from the
    sampled parameters, so no device sync), ``output`` for the others.

    Resampling with an identity matrix reproduces the input only up to rounding; this makes
    magnitude 0 exactly the identity. Nothing is copied when no sample is flagged.
    """
    if not bool(still.any()):
        return output
    return torch.where(still.to(input.device).view(-1, 1, 1, 1), input, output)


def apply(transform: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Apply ``transform`` to a ``[B, C, H, W]`` float batch; shape and dtype are kept."""
    if images.ndim != 4:
        raise ValueError(f"expected a [B, C, H, W] batch, got shape {tuple(images.shape)}")
    if not images.is_floating_point():
        raise TypeError(f"expected float images in [0, 1], got {images.dtype}")
    out = transform(images)
    return out.to(images.dtype)


def augment(
    transform: torch.nn.Module, images: torch.Tensor, seed: int | None = None
) -> torch.Tensor:
    """Augment a batch; with ``seed``, reproducibly and without touching the global RNG state."""
    if seed is None:
        with torch.no_grad():
            return apply(transform, images)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        return apply(transform, images)
