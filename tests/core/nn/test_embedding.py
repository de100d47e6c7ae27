"""The flat embedding table against one ``nn.Embedding`` per input, looked up and concatenated."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from l6pipeline.core.nn import EmbeddingTable

sizes_strategy = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 6)), min_size=1, max_size=6)


def _separate(table: EmbeddingTable) -> nn.ModuleList:
    """One ``nn.Embedding`` per input holding the same matrix as the table."""
    embeddings = nn.ModuleList(nn.Embedding(n, width) for n, width in table.sizes)
    with torch.no_grad():
        for i, embedding in enumerate(embeddings):
            embedding.weight.copy_(table.matrix(i))
    return embeddings


def _codes(sizes: list[tuple[int, int]], batch: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randint(0, n, (batch,), generator=g) for n, _ in sizes], dim=1)


@settings(max_examples=40, deadline=None)
@given(sizes=sizes_strategy, batch=st.integers(1, 20), seed=st.integers(0, 10**6))
def test_lookup_and_gradient_equal_separate_embeddings(sizes, batch, seed):
    torch.manual_seed(seed)
    table = EmbeddingTable(sizes)
    nn.init.normal_(table.weight)
    separate = _separate(table)
    x_cat = _codes(sizes, batch, seed)
    upstream = torch.randn(batch, sum(w for _, w in sizes))

    out = table(x_cat)
    reference = torch.cat([emb(x_cat[:, i]) for i, emb in enumerate(separate)], dim=1)
    assert torch.equal(out, reference)

    (out * upstream).sum().backward()
    (reference * upstream).sum().backward()
    for i, emb in enumerate(separate):
        n, width = table.sizes[i]
        start = sum(r * c for r, c in table.sizes[:i])
        grad = table.weight.grad[start : start + n * width].view(n, width)
        assert torch.allclose(grad, emb.weight.grad, atol=1e-6)


def test_matrix_is_a_view_of_the_table():
    table = EmbeddingTable([(3, 2), (4, 5)])
    with torch.no_grad():
        table.matrix(1)[2] = 7.0
    assert table(torch.tensor([[0, 2]]))[0, 2:].tolist() == [7.0] * 5
    assert table.width == 7 and table.weight.numel() == 3 * 2 + 4 * 5
