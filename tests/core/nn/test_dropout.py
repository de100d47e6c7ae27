"""Our inverted dropout: edge cases, statistics, gradients, and agreement with nn.Dropout."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from l6pipeline.core.nn import Dropout
from l6pipeline.core.nn.dropout import SPARSE_BELOW, _dropped_positions

N = 1_000_000  # elements per statistical check: standard errors ~1e-3


def _sigma_fraction(p: float, n: int = N) -> float:
    return math.sqrt(p * (1 - p) / n)


def test_p_zero_is_identity_in_training():
    x = torch.randn(50, 20)
    assert torch.equal(Dropout(0.0).train()(x), x)


def test_p_one_drops_everything_and_passes_no_gradient():
    x = torch.randn(50, 20, requires_grad=True)
    y = Dropout(1.0).train()(x)
    assert torch.equal(y, torch.zeros_like(x))
    y.sum().backward()
    assert torch.equal(x.grad, torch.zeros_like(x))


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_eval_is_identity(p):
    x = torch.randn(50, 20)
    assert torch.equal(Dropout(p).eval()(x), x)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_rejects_probabilities_outside_unit_interval(p):
    with pytest.raises(ValueError, match="dropout probability"):
        Dropout(p)


# Small p (below SPARSE_BELOW) takes the sampled-positions path, the others one draw per element.
@pytest.mark.parametrize("p", [0.001, 0.01, 0.1, 0.5, 0.8])
def test_dropped_fraction_matches_p(p):
    torch.manual_seed(0)
    y = Dropout(p).train()(torch.ones(N))
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - p) < 5 * _sigma_fraction(p)


@pytest.mark.parametrize("p", [0.01, 0.1, 0.5, 0.8])
def test_survivors_are_scaled_and_expectation_is_preserved(p):
    torch.manual_seed(1)
    x = torch.full((N,), 3.0)
    y = Dropout(p).train()(x)
    kept = y[y != 0]
    assert torch.allclose(kept, torch.full_like(kept, 3.0 / (1 - p)))
    # E[y] = x; the sample mean's standard error is 3 * sqrt(p / (1 - p) / N).
    assert abs(y.mean().item() - 3.0) < 5 * 3.0 * math.sqrt(p / (1 - p) / N)


@pytest.mark.parametrize("p", [0.4, 0.02])
def test_gradient_flows_only_through_kept_units(p):
    torch.manual_seed(2)
    x = torch.randn(200, 30, requires_grad=True)
    y = Dropout(p).train()(x)
    y.backward(torch.ones_like(y))
    kept = y != 0
    assert kept.any() and (~kept).any()
    assert torch.equal(x.grad[~kept], torch.zeros_like(x.grad[~kept]))
    assert torch.allclose(x.grad[kept], torch.full_like(x.grad[kept], 1 / (1 - p)))


@pytest.mark.parametrize("p", [0.5, 0.01])
def test_masks_differ_between_calls_but_follow_the_seed(p):
    x = torch.ones(1000)
    drop = Dropout(p).train()
    torch.manual_seed(3)
    first, second = drop(x), drop(x)
    assert not torch.equal(first, second)
    torch.manual_seed(3)
    assert torch.equal(drop(x), first)


def test_does_not_use_torch_dropout(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("our Dropout must not call torch's dropout")

    for owner, name in [
        (torch.nn.functional, "dropout"),
        (torch, "dropout"),
        (torch, "dropout_"),
        (torch, "native_dropout"),
    ]:
        monkeypatch.setattr(owner, name, forbidden)
    y = Dropout(0.5).train()(torch.ones(100))
    assert set(y.unique().tolist()) <= {0.0, 2.0}


@pytest.mark.parametrize("p", [0.01, 0.2, 0.5])
def test_matches_nn_dropout_in_distribution(p):
    torch.manual_seed(4)
    x = torch.rand(N) + 0.5  # no zeros in the input: a zero output means dropped
    ours, reference = Dropout(p).train()(x), nn.Dropout(p).train()(x)
    # Same rule for survivors, bit for bit: x / (1 - p) where kept.
    kept_ours, kept_ref = ours != 0, reference != 0
    assert torch.allclose(ours[kept_ours], x[kept_ours] / (1 - p))
    assert torch.allclose(reference[kept_ref], x[kept_ref] / (1 - p))
    # Same drop rate and same moments, within sampling error of two independent samples.
    two_sample = math.sqrt(2) * 5
    assert abs(kept_ours.float().mean() - kept_ref.float().mean()) < two_sample * _sigma_fraction(p)
    std_err = reference.std().item() / math.sqrt(N)
    assert abs(ours.mean().item() - reference.mean().item()) < two_sample * std_err
    assert ours.std().item() == pytest.approx(reference.std().item(), rel=0.01)


def test_works_on_half_precision_and_keeps_dtype():
    y = Dropout(0.5).train()(torch.ones(1000, dtype=torch.bfloat16))
    assert y.dtype == torch.bfloat16
    assert set(y.unique().tolist()) <= {0.0, 2.0}


def test_repr_shows_p():
    assert "p=0.25" in repr(Dropout(0.25))


@pytest.mark.parametrize("p", [0.001, 0.01, SPARSE_BELOW / 2])
def test_sampled_positions_cover_the_whole_tensor_uniformly(p):
    """Every tenth of the tensor (the last one too) loses a share p of its units."""
    torch.manual_seed(5)
    dropped = Dropout(p).train()(torch.ones(N)) == 0
    for block in dropped.view(10, -1):
        assert abs(block.float().mean().item() - p) < 5 * _sigma_fraction(p, N // 10)


def test_sampled_drop_counts_are_binomial():
    """Counts per call have the Binomial(n, p) mean and variance: units drop independently."""
    torch.manual_seed(6)
    n, p, calls = 1000, 0.01, 4000
    drop = Dropout(p).train()
    counts = torch.tensor([(drop(torch.ones(n)) == 0).sum().item() for _ in range(calls)]).double()
    mean, var = n * p, n * p * (1 - p)
    assert abs(counts.mean().item() - mean) < 5 * math.sqrt(var / calls)
    assert abs(counts.var().item() - var) < 5 * var * math.sqrt(2 / (calls - 1))


@pytest.mark.parametrize("chunk", [1, 7])
def test_dropped_positions_draw_more_gaps_when_the_first_ones_fall_short(chunk):
    torch.manual_seed(7)
    n, p = 200_000, 0.01
    positions = _dropped_positions(n, p, chunk=chunk)
    assert positions.dtype == torch.long
    assert positions.min() >= 0 and positions.max() < n
    assert bool((positions.diff() > 0).all())  # sorted, no position twice
    assert abs(len(positions) / n - p) < 5 * _sigma_fraction(p, n)
    assert positions.max() > n - 2_000  # the end of the tensor is reached
