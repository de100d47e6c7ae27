"""fast.ai's lighting transforms on kornia: brightness and contrast on the logit scale.

Changing ``logit(x)`` rather than ``x`` keeps 0 and 1 in place (black stays black, white stays
white). ``m = max_lighting``: brightness adds ``logit(c)``, ``c`` uniform in
``0.5 * [1 - m, 1 + m]``; contrast multiplies by ``s``, log-uniform in ``[1 - m, 1 / (1 - m)]``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch
from kornia.augmentation import IntensityAugmentationBase2D
from kornia.augmentation import random_generator as rg

from l6pipeline.vision.augmentation.batch import keep_where

_LOGIT_EPS = 1e-7  # fast.ai's clamp before taking logits


def _logit(x: torch.Tensor) -> torch.Tensor:
    return torch.logit(x.clamp(0.0, 1.0), eps=_LOGIT_EPS)


def _lighting_magnitude(magnitude: float) -> float:
    if not 0.0 <= magnitude < 1.0:
        raise ValueError(f"lighting magnitude must be in [0, 1), got {magnitude}")
    return float(magnitude)


class _LogitLighting(IntensityAugmentationBase2D, ABC):
    """A lighting change of ``logit(x)`` by one value per image, drawn uniformly in ``bounds``
    (kornia's parameter ``key``); the value ``identity`` leaves the image exactly as it is."""

    key: str
    identity: float

    def __init__(self, bounds: torch.Tensor, p: float, same_on_batch: bool) -> None:
        super().__init__(p=p, same_on_batch=same_on_batch)
        self._param_generator = rg.PlainUniformGenerator((bounds, self.key, None, None))

    @abstractmethod
    def change(self, logits: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        """The changed logits (``value`` broadcast over each image)."""

    def apply_transform(
        self,
        input: torch.Tensor,
        params: dict[str, torch.Tensor],
        flags: dict[str, Any],
        transform: torch.Tensor | None = None,
    ) -> torch.Tensor:
        value = params[self.key].to(input.device, input.dtype).view(-1, 1, 1, 1)
        out = torch.sigmoid(self.change(_logit(input), value))
        return keep_where(params[self.key].cpu() == self.identity, input, out)


class RandomLogitBrightness(_LogitLighting):
    """``sigmoid(logit(x) + logit(change))``, ``change`` uniform in ``0.5 * [1 - m, 1 + m]``.

    ``change = 0.5`` is the identity; fast.ai's ``brightness``.
    """

    key, identity = "change", 0.5

    def __init__(self, magnitude: float = 0.4, p: float = 1.0, same_on_batch: bool = False):
        m = _lighting_magnitude(magnitude)
        super().__init__(torch.tensor([0.5 * (1.0 - m), 0.5 * (1.0 + m)]), p, same_on_batch)

    def change(self, logits: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        return logits + torch.logit(value)


class RandomLogitContrast(_LogitLighting):
    """``sigmoid(logit(x) * scale)``, ``scale`` log-uniform in ``[1 - m, 1 / (1 - m)]``.

    ``scale = 1`` is the identity; fast.ai's ``contrast``.
    """

    key, identity = "log_scale", 0.0

    def __init__(self, magnitude: float = 0.4, p: float = 1.0, same_on_batch: bool = False):
        m = _lighting_magnitude(magnitude)
        log_hi = -torch.log1p(torch.tensor(-m)).item()  # log(1 / (1 - m)) >= 0
        super().__init__(torch.tensor([-log_hi, log_hi]), p, same_on_batch)

    def change(self, logits: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        return logits * torch.exp(value)


def brightness(magnitude: float = 0.4, p: float = 1.0) -> RandomLogitBrightness:
    """fast.ai's brightness with ``max_lighting = magnitude`` (0 is the identity)."""
    return RandomLogitBrightness(magnitude, p=p)


def contrast(magnitude: float = 0.4, p: float = 1.0) -> RandomLogitContrast:
    """fast.ai's contrast with ``max_lighting = magnitude`` (0 is the identity)."""
    return RandomLogitContrast(magnitude, p=p)
