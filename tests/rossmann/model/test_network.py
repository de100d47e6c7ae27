"""Embedding sizes, shapes and the sigmoid output range of the entity-embedding network."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from l6pipeline.core.nn import Dropout
from l6pipeline.rossmann.model.network import TabularModel, emb_size_rule, embedding_sizes


@pytest.mark.parametrize(
    ("n_cat", "width"),
    [(1, 2), (2, 2), (8, 5), (13, 7), (1116, 81), (10**6, 600)],
)
def test_embedding_size_rule(n_cat, width):
    assert emb_size_rule(n_cat) == width
    assert width == min(600, round(1.6 * n_cat**0.56))


def test_embedding_sizes_follow_the_rule_unless_overridden():
    sizes = embedding_sizes({"Store": 1116, "DayOfWeek": 8}, overrides={"DayOfWeek": 3})
    assert sizes == {"Store": (1116, 81), "DayOfWeek": (8, 3)}
    with pytest.raises(ValueError, match="unknown variables"):
        embedding_sizes({"Store": 1116}, overrides={"Stor": 10})


def _model(**kwargs) -> TabularModel:
    defaults = {"emb_sizes": [(10, 4), (3, 2)], "n_cont": 5, "y_range": (0.0, math.log(1.2e4))}
    return TabularModel(**{**defaults, **kwargs})


def _inputs(batch: int = 16):
    g = torch.Generator().manual_seed(0)
    x_cat = torch.stack(
        [torch.randint(0, 10, (batch,), generator=g), torch.randint(0, 3, (batch,), generator=g)],
        dim=1,
    )
    return x_cat, torch.randn(batch, 5, generator=g)


def test_layout_matches_the_lesson():
    model = _model(layers=(1000, 500), ps=(0.001, 0.01), emb_drop=0.04)
    assert model.embeds.sizes == [(10, 4), (3, 2)]
    assert isinstance(model.emb_drop, Dropout) and model.emb_drop.p == 0.04
    assert model.bn_cont.num_features == 5
    kinds = [type(m) for m in model.layers]
    assert kinds == [nn.Linear, nn.ReLU, nn.BatchNorm1d, Dropout] * 2
    assert model.layers[0].in_features == 4 + 2 + 5
    assert [m.p for m in model.layers if isinstance(m, Dropout)] == [0.001, 0.01]
    assert model.head.in_features == 500 and model.head.out_features == 1


def test_output_shape():
    model = _model(layers=(8, 4), ps=(0.1, 0.1))
    assert model(*_inputs(16)).shape == (16, 1)
    assert _model(out_size=3, layers=(8,), ps=(0.0,))(*_inputs(4)).shape == (4, 3)


def test_sigmoid_keeps_outputs_inside_y_range():
    high = math.log(1.2 * 40_000)
    model = _model(layers=(8,), ps=(0.0,), y_range=(0.0, high)).eval()
    with torch.no_grad():
        model.head.bias.fill_(1e4)  # push the pre-activation far out on both sides
        top = model(*_inputs())
        model.head.bias.fill_(-1e4)
        bottom = model(*_inputs())
    assert torch.allclose(top, torch.full_like(top, high))
    assert torch.allclose(bottom, torch.zeros_like(bottom))
    model = _model(layers=(8,), ps=(0.0,), y_range=(0.0, high))
    out = model(*_inputs(256))
    assert (out > 0).all() and (out < high).all()


def test_only_continuous_or_only_categorical_inputs():
    cats_only = _model(n_cont=0, layers=(8,), ps=(0.0,))
    x_cat, _ = _inputs(4)
    assert cats_only(x_cat, torch.empty(4, 0)).shape == (4, 1)
    conts_only = TabularModel(emb_sizes=[], n_cont=5, layers=(8,), ps=(0.0,))
    assert conts_only(torch.empty(4, 0, dtype=torch.long), torch.randn(4, 5)).shape == (4, 1)


def test_mismatched_layers_and_ps_are_rejected():
    with pytest.raises(ValueError, match="one dropout probability per layer"):
        _model(layers=(8, 4), ps=(0.1,))
