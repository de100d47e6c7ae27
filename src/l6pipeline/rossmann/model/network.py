"""The entity-embedding network of the lesson (fast.ai v1's ``TabularModel``), in plain PyTorch.

The model fast.ai's ``tabular_learner`` builds for the lesson, without the learner around it.

One embedding per categorical input (all held in one :class:`~l6pipeline.core.nn.EmbeddingTable`,
looked up at once), dropout on the concatenated embeddings, BatchNorm on the continuous inputs,
hidden blocks ``Linear -> ReLU -> BatchNorm -> Dropout`` and a linear output squashed by a
sigmoid into ``y_range``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from l6pipeline.core.nn import Dropout, EmbeddingTable

MAX_EMBEDDING_SIZE = 600


def emb_size_rule(n_cat: int) -> int:
    """fast.ai's ``emb_sz_rule``: ``min(600, round(1.6 * n_cat ** 0.56))`` (``#na#`` counted)."""
    if n_cat < 1:
        raise ValueError(f"a categorical variable needs at least one code, got {n_cat}")
    return min(MAX_EMBEDDING_SIZE, round(1.6 * n_cat**0.56))


def embedding_sizes(
    cardinalities: Mapping[str, int], overrides: Mapping[str, int] | None = None
) -> dict[str, tuple[int, int]]:
    """``{name: (n_codes, width)}``: the rule's width unless ``overrides`` names the variable."""
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(cardinalities)
    if unknown:
        raise ValueError(f"embedding size overrides for unknown variables: {sorted(unknown)}")
    return {
        name: (n_cat, int(overrides.get(name, emb_size_rule(n_cat))))
        for name, n_cat in cardinalities.items()
    }


class TabularModel(nn.Module):
    """``forward(x_cat [B, n_cat] int64, x_cont [B, n_cont] float) -> [B, out_size]``."""

    def __init__(
        self,
        emb_sizes: Sequence[tuple[int, int]],
        n_cont: int,
        layers: Sequence[int] = (1000, 500),
        ps: Sequence[float] = (0.001, 0.01),
        emb_drop: float = 0.04,
        y_range: tuple[float, float] | None = None,
        out_size: int = 1,
    ) -> None:
        super().__init__()
        if len(ps) != len(layers):
            raise ValueError(f"one dropout probability per layer: {len(layers)} layers, ps={ps}")
        self.embeds = EmbeddingTable(emb_sizes)
        # fast.ai's init: truncated normal, std 0.01
        nn.init.trunc_normal_(self.embeds.weight, std=0.01, a=-0.02, b=0.02)
        self.emb_drop = Dropout(emb_drop)
        self.n_cont = n_cont
        self.bn_cont = nn.BatchNorm1d(n_cont) if n_cont else nn.Identity()
        blocks: list[nn.Module] = []
        n_in = sum(width for _, width in emb_sizes) + n_cont
        for n_out, p in zip(layers, ps, strict=True):
            blocks += [nn.Linear(n_in, n_out), nn.ReLU(), nn.BatchNorm1d(n_out), Dropout(p)]
            n_in = n_out
        self.layers = nn.Sequential(*blocks)
        self.head = nn.Linear(n_in, out_size)
        if y_range is not None:
            low, high = map(float, y_range)
            if not low < high:
                raise ValueError(f"y_range must be increasing, got {y_range}")
            self.register_buffer("y_range", torch.tensor([low, high]))
        else:
            self.y_range = None

    @torch.no_grad()
    def start_at(self, target: float) -> None:
        """Set the output bias so that the untrained network predicts ``target`` (e.g. the mean
        training log sales) instead of the middle of ``y_range``.

        Not in fast.ai: with its default bias the first thousand steps only learn the mean
        (an initial MSE ~60x the target's variance); starting there saves most of an epoch.
        """
        if self.y_range is not None:
            low, high = (float(v) for v in self.y_range)
            if not low < target < high:
                raise ValueError(f"target {target} outside y_range ({low}, {high})")
            share = (target - low) / (high - low)
            target = math.log(share / (1 - share))  # the sigmoid's inverse
        self.head.bias.fill_(target)

    def embedding_weights(self, index: int) -> np.ndarray:
        """The learned embedding matrix of the ``index``-th categorical input, ``[n_codes, width]``
        (row 0 is ``#na#``)."""
        return self.embeds.matrix(index).detach().cpu().numpy()

    def forward(self, x_cat: torch.Tensor, x_cont: torch.Tensor) -> torch.Tensor:
        parts = []
        if self.embeds.width:
            parts.append(self.emb_drop(self.embeds(x_cat)))
        if self.n_cont:
            parts.append(self.bn_cont(x_cont))
        x = self.head(self.layers(torch.cat(parts, dim=1)))
        if self.y_range is not None:
            low, high = self.y_range
            x = torch.sigmoid(x) * (high - low) + low
        return x
