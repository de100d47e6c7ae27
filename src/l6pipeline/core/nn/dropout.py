"""Our ``Dropout``: inverted dropout written from tensor primitives (the lesson's "write your own
dropout"), used for ``TabularModel``'s ``emb_drop`` and ``ps`` and before ``SmallCNN``'s head."""

from __future__ import annotations

import math

import torch
from torch import nn

# On the CPU, drawing one random number per element costs ~5 ns each and dominates small
# layers; below this p the dropped positions are sampled directly (see _dropped_positions).
SPARSE_BELOW = 0.05


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
        keep = 1.0 - self.p
        if self.p < SPARSE_BELOW and x.device.type == "cpu":
            # Scale everything, then zero the dropped units: the gradient is 1/(1-p) on kept
            # units and 0 on dropped ones, as with a mask.
            out = x.contiguous() / keep
            out.view(-1)[_dropped_positions(x.numel(), self.p)] = 0.0
            return out
        # One Bernoulli(1 - p) draw per element, scaled in place: the mask holds 0 or 1/(1-p),
        # so the output (and the gradient) is x / (1-p) on kept units and 0 on dropped ones.
        mask = torch.empty_like(x).bernoulli_(keep).div_(keep)
        return x * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _dropped_positions(n: int, p: float, chunk: int | None = None) -> torch.Tensor:
    """Flat indices of the dropped units of ``n`` independent Bernoulli(p) trials.

    The gaps between successive successes of Bernoulli(p) trials are Geometric(p), so their
    running sums are exactly the positions of the successes: about ``n * p`` random numbers
    instead of ``n``, with the same distribution as one draw per element.
    """
    if chunk is None:  # enough gaps nearly always; more are drawn when not
        chunk = int(n * p + 6 * math.sqrt(n * p) + 16)
    ends = torch.empty(chunk, dtype=torch.long).geometric_(p).cumsum(0)
    while ends[-1] <= n:  # the n trials are not all covered yet
        more = torch.empty(chunk, dtype=torch.long).geometric_(p).cumsum(0)
        ends = torch.cat([ends, ends[-1] + more])
    return ends[ends <= n] - 1
