"""The LR finder (fast.ai's ``lr_find``): its suggestion lies in the range where training is
stable and learns, and the model it probes is left untouched."""

from __future__ import annotations

import math

import hypothesis.strategies as st
import numpy as np
import pytest
import torch
from hypothesis import given
from torch import nn

from l6pipeline.core.nn import seed_everything
from l6pipeline.core.nn.lr_finder import LRFinderConfig, lr_find, steepest, valley
from l6pipeline.core.nn.training import make_optimizer
from l6pipeline.core.params import ParameterError


def _problem(n: int = 2048):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 8, generator=g)
    y = x @ torch.randn(8, 1, generator=g) + 0.1 * torch.randn(n, 1, generator=g)
    return x, y


def _model() -> nn.Module:
    seed_everything(0)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))


def _loss_after(lr: float, steps: int = 60) -> float:
    """Train a fresh model at a constant ``lr``; the final full-batch loss."""
    x, y = _problem()
    model = _model()
    optimizer = make_optimizer(model, lr, 0.0)
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        idx = torch.randint(0, len(x), (64,), generator=g)
        loss = nn.functional.mse_loss(model(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return float(nn.functional.mse_loss(model(x), y))


@pytest.mark.parametrize("method", ["minimum", "valley"])  # steep is informative only
def test_suggestion_is_in_the_stable_range_and_learns(method):
    x, y = _problem()
    result = lr_find(_model(), nn.functional.mse_loss, (x, y), batch_size=64, device="cpu")
    lr = result.suggest(method)
    initial = _loss_after(1e-9, steps=1)
    # The sweep ends where the loss blew up; the suggestion is well below that point.
    assert result.lrs[0] < lr < result.lrs[-1] / 3
    # Stable: training at the suggested rate learns (most of the loss gone) ...
    assert _loss_after(lr) < 0.2 * initial
    # ... and it beats a rate 1000x lower, which is too slow to learn in as many steps.
    assert _loss_after(lr) < _loss_after(lr / 1000)
    assert result.to_dict(method)["suggested_lr"] == lr


def test_minimum_is_a_tenth_of_the_lowest_loss_rate():
    result = lr_find(_model(), nn.functional.mse_loss, _problem(), batch_size=64, device="cpu")
    assert result.suggest("minimum") * 10 == pytest.approx(
        result.lrs[int(np.argmin(result.losses))]
    )
    with pytest.raises(ValueError, match="unknown LR suggestion"):
        result.suggest("fastest")


def test_the_probed_model_is_not_changed():
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    lr_find(model, nn.functional.mse_loss, _problem(256), batch_size=32, num_it=20, device="cpu")
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name])


def test_same_seed_same_sweep():
    runs = [
        lr_find(_model(), nn.functional.mse_loss, _problem(256), 32, num_it=30, device="cpu")
        for _ in range(2)
    ]
    assert runs[0].losses == runs[1].losses and runs[0].suggestions == runs[1].suggestions


@given(
    drop=st.integers(min_value=5, max_value=60),
    rise=st.integers(min_value=2, max_value=30),
)
def test_valley_lies_inside_the_falling_stretch(drop: int, rise: int):
    """On a curve that falls for ``drop`` points and then rises, the valley is on the fall."""
    losses = [*np.linspace(2.0, 1.0, drop), *np.linspace(1.1, 5.0, rise)]
    index = valley(losses)
    assert 0 < index < drop - 1


def test_steepest_is_the_largest_drop():
    losses = [3.0, 2.9, 2.0, 1.9, 1.85, 2.5]
    assert steepest(losses) in (1, 2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"start_lr": 1.0, "end_lr": 0.1}, "start_lr < end_lr"), ({"num_it": 1}, "num_it")],
)
def test_bad_sweep_settings_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lr_find(_model(), nn.functional.mse_loss, _problem(64), 16, device="cpu", **kwargs)


def test_sweep_is_exponential():
    result = lr_find(
        _model(), nn.functional.mse_loss, _problem(256), 32, 1e-5, 1e-1, num_it=5, device="cpu"
    )
    ratios = np.diff(np.log(result.lrs))
    assert np.allclose(ratios, math.log(1e4) / 4)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"num_it": 1}, "num_it = 1: must be an integer >= 2"),
        ({"start_lr": 0}, "start_lr = 0: must be a number > 0"),
        ({"start_lr": 1e-3, "end_lr": 1e-4}, "end_lr = 0.0001: must be a number > 0.001"),
        (
            {"suggestion": "fastest"},
            "suggestion = 'fastest': must be one of 'minimum', 'valley', 'steep'",
        ),
        ({"num_iter": 10}, "num_iter: unknown LR finder parameters"),
    ],
)
def test_lr_finder_settings_name_the_bad_key(params, message):
    with pytest.raises(ParameterError) as caught:
        LRFinderConfig.from_params(params)
    assert str(caught.value).startswith(message)
