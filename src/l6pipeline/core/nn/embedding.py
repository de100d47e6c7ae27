"""Every categorical input's embedding in one flat table: one gather forward and one scatter
backward per batch instead of one per input (docs/rossmann_model.md)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class EmbeddingTable(nn.Module):
    """``forward(x_cat [B, n_inputs] int64) -> [B, sum of widths]``: the concatenation of each
    input's embedding row, as ``torch.cat([emb_i(x_cat[:, i]) for i ...], 1)`` would give."""

    def __init__(self, sizes: Sequence[tuple[int, int]]) -> None:
        super().__init__()
        self.sizes = [(int(n), int(width)) for n, width in sizes]
        if any(n < 1 or width < 1 for n, width in self.sizes):
            raise ValueError(f"every embedding needs codes and a width, got {self.sizes}")
        starts = torch.tensor([0] + [n * w for n, w in self.sizes]).cumsum(0)
        widths = torch.tensor([w for _, w in self.sizes], dtype=torch.long)
        column = torch.repeat_interleave(torch.arange(len(self.sizes)), widths)
        within = torch.cat([torch.arange(w) for w in widths.tolist()]) if self.sizes else column
        # Output column j reads table[x_cat[:, column[j]] * stride[j] + offset[j]].
        self.register_buffer("column", column, persistent=False)
        self.register_buffer("stride", widths[column], persistent=False)
        self.register_buffer("offset", starts[:-1][column] + within, persistent=False)
        self.weight = nn.Parameter(torch.empty(int(starts[-1])))

    @property
    def width(self) -> int:
        return len(self.column)

    def forward(self, x_cat: torch.Tensor) -> torch.Tensor:
        return self.weight[x_cat[:, self.column] * self.stride + self.offset]

    def matrix(self, index: int) -> torch.Tensor:
        """The ``index``-th input's embedding matrix ``[n_codes, width]`` (a view of the table)."""
        n, width = self.sizes[index]
        start = sum(rows * cols for rows, cols in self.sizes[:index])
        return self.weight[start : start + n * width].view(n, width)
