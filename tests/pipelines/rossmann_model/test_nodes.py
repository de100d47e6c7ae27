"""The row selection's refusal of backtest windows longer than the recent-sales lag."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l6pipeline.core.params import ParameterError
from l6pipeline.pipelines.rossmann_model.nodes import select_rows


def _features(start: str, days: int, sales: bool) -> pd.DataFrame:
    dates = pd.date_range(start, periods=days)
    frame = pd.MultiIndex.from_product([[1, 2], dates], names=["Store", "Date"]).to_frame(
        index=False
    )
    frame["Promo"] = 0
    frame["StoreDayPromoSales"] = 8.0
    if sales:
        frame["Sales"] = np.arange(len(frame)) + 1_000.0
    return frame


@pytest.mark.parametrize(
    ("cont_vars", "refused"), [(["Promo"], False), (["Promo", "StoreDayPromoSales"], True)]
)
def test_windows_longer_than_the_lag_are_refused_when_a_lagged_column_is_read(cont_vars, refused):
    train = _features("2015-01-01", 90, sales=True)
    test = _features("2015-04-01", 10, sales=False)  # a 10-day horizon: the lag
    params = {
        "cat_vars": ["Store"],
        "cont_vars": cont_vars,
        "split": {"window_rows": 60, "backtest_folds": 1},  # windows of 30 days
    }
    if refused:
        with pytest.raises(ParameterError, match=r"window_rows = 60.*30 days.*lag of 10"):
            select_rows(train, test, params, {})
    else:
        rows, layout = select_rows(train, test, params, {})
        assert len(layout["windows"]) == 2 and len(rows) == len(train)
