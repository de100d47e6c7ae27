"""RMSPE against hand computations, and fast.ai's per-batch variant."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from l6pipeline.rossmann.model.metrics import batched_exp_rmspe, exp_rmspe, per_store_rmspe, rmspe


def test_rmspe_by_hand():
    # errors: (100-110)/100 = -0.1, (200-150)/200 = 0.25, (50-50)/50 = 0
    expected = math.sqrt((0.1**2 + 0.25**2 + 0) / 3)
    assert rmspe([110, 150, 50], [100, 200, 50]) == pytest.approx(expected, rel=1e-12)


def test_rmspe_ignores_zero_sales_days():
    assert rmspe([110, 5, 150], [100, 0, 200]) == pytest.approx(
        math.sqrt((0.1**2 + 0.25**2) / 2), rel=1e-12
    )
    with pytest.raises(ValueError, match="undefined"):
        rmspe([1.0], [0.0])


def test_exp_rmspe_takes_logs_and_tensors():
    pred = torch.log(torch.tensor([[110.0], [150.0], [50.0]]))
    target = torch.log(torch.tensor([[100.0], [200.0], [50.0]]))
    assert exp_rmspe(pred, target) == pytest.approx(math.sqrt((0.01 + 0.0625) / 3), rel=1e-6)


def test_batched_rmspe_is_the_weighted_mean_of_batch_rmspes():
    pred, target = np.array([110.0, 150.0, 50.0]), np.array([100.0, 200.0, 50.0])
    # batches of 2: [110,150] vs [100,200] and [50] vs [50]
    first = math.sqrt((0.01 + 0.0625) / 2)
    expected = (2 * first + 1 * 0.0) / 3
    got = batched_exp_rmspe(np.log(pred), np.log(target), batch_size=2)
    assert got == pytest.approx(expected, rel=1e-9)
    # The mean of square roots is below the exact figure: they are different numbers.
    assert got < exp_rmspe(np.log(pred), np.log(target))


def test_per_store_table_is_sorted_worst_first():
    table = per_store_rmspe(
        stores=[1, 1, 2, 2], pred=[100, 100, 150, 250], target=[100, 100, 200, 200]
    )
    assert table["Store"].tolist() == [2, 1]
    assert table.loc[0, "rmspe"] == pytest.approx(0.25)
    assert table.loc[1, "rmspe"] == 0.0
    assert table.loc[0, "days"] == 2 and table.loc[0, "mean_predicted"] == 200
