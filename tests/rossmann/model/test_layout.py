"""The labelled rows and the backtest windows cut from their end; windows longer than the
recent-sales lag are refused when the model reads a lagged column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l6pipeline.core.params import ParameterError, each_problem
from l6pipeline.rossmann.features.recent import RecentSalesConfig
from l6pipeline.rossmann.model.backtest import SplitConfig
from l6pipeline.rossmann.model.layout import first_prefix, model_columns, select_rows


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


SPLIT = SplitConfig(window_rows=60, backtest_folds=1)  # windows of 30 days


@pytest.mark.parametrize(
    ("cont_vars", "refused"), [(["Promo"], False), (["Promo", "StoreDayPromoSales"], True)]
)
def test_windows_longer_than_the_lag_are_refused_when_a_lagged_column_is_read(cont_vars, refused):
    train = _features("2015-01-01", 90, sales=True)
    test = _features("2015-04-01", 10, sales=False)  # a 10-day horizon: the lag
    if refused:
        with pytest.raises(
            ParameterError, match=r"rossmann_model\.split\.window_rows = 60.*30 days.*lag of 10"
        ):
            select_rows(train, test, ["Store"], cont_vars, SPLIT, RecentSalesConfig())
    else:
        rows, layout = select_rows(train, test, ["Store"], cont_vars, SPLIT, RecentSalesConfig())
        assert len(layout["windows"]) == 2 and len(rows) == len(train)


def test_the_layout_lists_the_windows_oldest_first_and_the_prefix_is_before_them():
    train = _features("2015-01-01", 90, sales=True)
    test = _features("2015-04-01", 10, sales=False)
    rows, layout = select_rows(train, test, ["Store"], ["Promo"], SPLIT, RecentSalesConfig())
    assert list(rows.columns) == ["Date", "Store", "Sales", "Promo"]  # those the table has
    assert rows["Date"].is_monotonic_increasing
    assert layout == {
        "window_rows": 60,
        "windows": [
            {"name": "W2", "start": "2015-01-31", "end": "2015-03-01", "rows": 60},
            {"name": "W1", "start": "2015-03-02", "end": "2015-03-31", "rows": 60},
        ],
    }
    prefix = first_prefix(rows, layout)
    assert prefix["Date"].max() == pd.Timestamp("2015-01-30") and len(prefix) == 60


@pytest.mark.parametrize(
    ("cat_vars", "cont_vars", "key", "absent"),
    [
        (["Store"], ["Promo", "RecentSales7"], "cont_vars", "['RecentSales7']"),
        (["Store", "Stat", "StoreTyp"], ["Promo"], "cat_vars", "['Stat', 'StoreTyp']"),
    ],
)
def test_a_variable_the_features_do_not_have_is_named(cat_vars, cont_vars, key, absent):
    train = _features("2015-01-01", 90, sales=True)
    test = _features("2015-04-01", 10, sales=False)
    with pytest.raises(ParameterError) as caught:
        select_rows(train, test, cat_vars, cont_vars, SPLIT, RecentSalesConfig())
    assert str(caught.value).startswith(f"rossmann_model.{key} = {absent}: names variables")
    assert "rossmann_data.recent_sales.spans" in str(caught.value)


def test_absent_categorical_and_continuous_variables_are_named_together():
    train = _features("2015-01-01", 90, sales=True)
    test = _features("2015-04-01", 10, sales=False)
    with pytest.raises(ParameterError) as caught:
        select_rows(train, test, ["Stat"], ["RecentSales7"], SPLIT, RecentSalesConfig())
    named = [f"{'.'.join((p.block, *p.keys))} = {p.value}" for p in each_problem(caught.value)]
    assert named == [
        "rossmann_model.cat_vars = ['Stat']",
        "rossmann_model.cont_vars = ['RecentSales7']",
    ]


def test_window_rows_default_to_the_test_size():
    train = _features("2015-01-01", 90, sales=True)
    test = _features("2015-04-01", 10, sales=False)
    split = SplitConfig(window_rows=None, backtest_folds=2)
    _, layout = select_rows(train, test, ["Store"], ["Promo"], split, RecentSalesConfig())
    assert layout["window_rows"] == len(test) == 20
    assert [w["rows"] for w in layout["windows"]] == [20, 20, 20]


def test_model_columns_keep_the_keys_the_variables_and_the_store_info_once():
    assert model_columns(["Store", "State"], ["Promo"]) == [
        "Date",
        "Store",
        "Sales",
        "State",
        "Promo",
        "StoreType",
        "Assortment",
    ]
