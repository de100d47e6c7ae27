"""Inverted dropout written from tensor primitives (the lesson's "write your own dropout")."""

from __future__ import annotations

import torch
from torch import nn


class Dropout(nn.Module):
    """Zero each activation with probability ``p`` during training, scale survivors by 1/(1-p).

    Scaling at training time ("inverted" dropout) keeps the expected activation unchanged, so
    evaluation is the identity and needs no rescaling. ``p = 1`` drops everything (returns
    zeros rather than dividing by zero).
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        # One Bernoulli(1 - p) draw per element, scaled in place: the mask holds 0 or 1/(1-p),
        # so the output (and the gradient) is x / (1-p) on kept units and 0 on dropped ones.
        keep = 1.0 - self.p
        mask = torch.empty_like(x).bernoulli_(keep).div_(keep)
        return x * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"
