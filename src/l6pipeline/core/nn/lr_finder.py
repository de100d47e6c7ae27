"""fast.ai's ``lr_find`` (Leslie Smith's LR range test) on a copy of the model, with fast.ai v2's
``minimum``, ``valley`` and ``steep`` suggestions (docs/rossmann_model.md)."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from l6pipeline.core.nn.device import cpu_threads, resolve_device
from l6pipeline.core.nn.reproducibility import seed_everything
from l6pipeline.core.nn.training import LossFn, make_optimizer
from l6pipeline.core.params import Parameters, check_choice, check_int, check_number

SMOOTHING = 0.98  # fast.ai's exponential moving average of the loss
DIVERGENCE = 4.0  # stop when the smoothed loss exceeds this multiple of its minimum


@dataclass(frozen=True)
class LRFinderConfig(Parameters, what="LR finder"):
    """The sweep's settings (fast.ai's ``lr_find(start_lr, end_lr, num_it)``) and which
    suggestion ``lr: auto`` takes."""

    num_it: int = 100
    start_lr: float = 1e-7
    end_lr: float = 10.0
    suggestion: str = "minimum"

    def __post_init__(self) -> None:
        check_int("num_it", self.num_it, minimum=2)
        check_number("start_lr", self.start_lr, above=0)
        check_number("end_lr", self.end_lr, above=self.start_lr)
        check_choice("suggestion", self.suggestion, ("minimum", "valley", "steep"))


@dataclass(frozen=True)
class LRFinderResult:
    """The sweep (``lrs``, smoothed ``losses``) and the suggested learning rates by method."""

    lrs: list[float]
    losses: list[float]
    suggestions: dict[str, float]

    def suggest(self, method: str) -> float:
        if method not in self.suggestions:
            raise ValueError(f"unknown LR suggestion {method!r}: one of {list(self.suggestions)}")
        return self.suggestions[method]

    def to_dict(self, method: str) -> dict:
        """JSON-able: the chosen ``suggested_lr`` and everything it was chosen from."""
        return {
            "suggested_lr": self.suggest(method),
            "method": method,
            "suggestions": dict(self.suggestions),
            "lrs": list(self.lrs),
            "losses": list(self.losses),
        }


def valley(losses: Sequence[float]) -> int:
    """Index of fast.ai's ``valley`` suggestion: the longest decreasing subsequence of the
    loss, and a point half-way into its middle third (fastai ``callback/schedule.py``)."""
    n = len(losses)
    if n < 2:
        raise ValueError("the LR sweep needs at least two points")
    longest = [1] * n
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and longest[i] < longest[j] + 1:
                longest[i] = longest[j] + 1
        if longest[end] < longest[i]:
            end = i
            start = end - longest[end] + 1  # fast.ai's code is one lower
    third = (end - start) / 3
    return min(n - 1, max(0, start + int(third) + int(third / 2)))


def steepest(losses: Sequence[float]) -> int:
    """Index of the most negative slope of the loss (against the log learning rate)."""
    if len(losses) < 2:
        raise ValueError("the LR sweep needs at least two points")
    return int(np.argmin(np.gradient(np.asarray(losses, dtype=np.float64))))


def lr_find(
    model: nn.Module,
    loss_fn: LossFn,
    train: Sequence[torch.Tensor],
    batch_size: int,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_it: int = 100,
    wd: float = 0.0,
    seed: int = 42,
    device: str = "auto",
    num_threads: int | None = None,
) -> LRFinderResult:
    """Run the LR range test on a deep copy of ``model`` (the model itself is not changed).

    ``train`` is ``(*inputs, target)``; mini-batches are drawn at random with ``seed``.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got {start_lr}, {end_lr}")
    if num_it < 2:
        raise ValueError(f"num_it must be at least 2, got {num_it}")
    with cpu_threads(num_threads):
        generator = seed_everything(seed)
        target_device = resolve_device(device)
        probe = copy.deepcopy(model).to(target_device).train()
        optimizer = make_optimizer(probe, start_lr, wd)
        factor = (end_lr / start_lr) ** (1 / (num_it - 1))
        n = len(train[0])
        lrs: list[float] = []
        losses: list[float] = []
        average, best = 0.0, math.inf
        for step in range(num_it):
            lr = start_lr * factor**step
            for group in optimizer.param_groups:
                group["lr"] = lr
            idx = torch.randint(0, n, (min(batch_size, n),), generator=generator)
            *inputs, target = (t[idx].to(target_device) for t in train)
            loss = loss_fn(probe(*inputs), target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                break
            average = SMOOTHING * average + (1 - SMOOTHING) * value
            smoothed = average / (1 - SMOOTHING ** (step + 1))
            lrs.append(lr)
            losses.append(smoothed)
            best = min(best, smoothed)
            if smoothed > DIVERGENCE * best:
                break
    if len(losses) < 2:
        raise ValueError("the LR sweep diverged at once: lower start_lr")
    suggestions = {
        "minimum": lrs[int(np.argmin(losses))] / 10,
        "valley": lrs[valley(losses)],
        "steep": lrs[steepest(losses)],
    }
    return LRFinderResult(lrs=lrs, losses=losses, suggestions=suggestions)
