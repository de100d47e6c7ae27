"""The Kaggle submission: Id, Sales for every test row; closed days sell nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l6pipeline.rossmann.model.submission import kaggle_submission


def test_closed_days_are_zero_and_missing_open_counts_as_open():
    test = pd.DataFrame({"Id": [3, 1, 2, 4], "Open": [0.0, 1.0, np.nan, 1.0]})
    sub = kaggle_submission(test, np.array([10.0, 20.0, 30.0, 40.0]))
    assert sub.columns.tolist() == ["Id", "Sales"]
    assert sub["Id"].tolist() == [1, 2, 3, 4]
    assert sub["Sales"].tolist() == [20.0, 30.0, 0.0, 40.0]


def test_prediction_count_must_match():
    with pytest.raises(ValueError, match="predictions"):
        kaggle_submission(pd.DataFrame({"Id": [1], "Open": [1]}), np.array([1.0, 2.0]))
