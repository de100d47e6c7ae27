"""The validation window: the most recent dates, about as many rows as the test set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l6pipeline.rossmann.model.split import time_split_mask, validation_size


def _dates(rows_per_day: list[int]) -> pd.Series:
    days = pd.date_range("2015-06-01", periods=len(rows_per_day), freq="D")
    return pd.Series(np.repeat(days, rows_per_day))


def test_takes_the_latest_whole_dates_holding_n_rows():
    dates = _dates([3, 3, 3, 3])  # 12 rows over 4 days
    mask = time_split_mask(dates, 6)
    assert dates[mask].dt.day.unique().tolist() == [3, 4]
    assert mask.sum() == 6


def test_a_partial_day_is_taken_whole():
    dates = _dates([3, 3, 3, 3])
    mask = time_split_mask(dates, 5)  # 5 rows reach into day 3: the whole day is taken
    assert mask.sum() == 6


def test_depends_on_dates_not_row_order():
    dates = _dates([2, 4, 1, 3, 5])
    shuffled = dates.sample(frac=1, random_state=0).reset_index(drop=True)
    mask = time_split_mask(shuffled, 7)
    assert shuffled[mask].min() > shuffled[~mask].max()
    assert sorted(shuffled[mask]) == sorted(dates[time_split_mask(dates, 7)])


def test_rejects_sizes_that_leave_no_training_rows():
    dates = _dates([3, 3])
    for n in (0, 6, 10):
        with pytest.raises(ValueError, match="n_valid"):
            time_split_mask(dates, n)
    with pytest.raises(ValueError, match="every row"):
        time_split_mask(_dates([4]), 2)


def test_validation_size_defaults_to_the_test_set_size():
    assert validation_size(None, 41088) == 41088
    assert validation_size(500, 41088) == 500
