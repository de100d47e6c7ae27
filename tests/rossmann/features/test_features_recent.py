"""A store's recent sales level: the loop reference, the lag, and no look into the future."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l6pipeline.core.params import ParameterError
from l6pipeline.rossmann.features.events import EVENT_KEY
from l6pipeline.rossmann.features.recent import (
    RecentSalesConfig,
    compute_recent_sales,
    recent_sales,
    recent_sales_lag,
)

from . import reference
from .synthetic_tables import make_tables

SPANS = (7, 14, 28)


def _keys(frame: pd.DataFrame) -> list[tuple]:
    return [(store, day.date()) for store, day in frame[list(EVENT_KEY)].itertuples(index=False)]


def _reference_frame(train: pd.DataFrame, keys: pd.DataFrame, lag: int | None) -> pd.DataFrame:
    promos = dict(zip(_keys(keys), keys["Promo"], strict=True))
    rows = reference.recent_sales(train.to_dict("records"), _keys(keys), SPANS, lag, promos)
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(
        [(store, pd.Timestamp(day)) for store, day in frame.index], names=list(EVENT_KEY)
    )
    return frame


@pytest.mark.parametrize("lag", [None, 20])
def test_recent_sales_match_the_loop_reference(lag):
    tables = make_tables(seed=2)
    train, test = tables["train"], tables["test"]
    params = {"lag_days": lag, "spans": list(SPANS)}
    resolved = recent_sales_lag(train, test, params)
    got = compute_recent_sales(train, test, resolved, params).set_index(list(EVENT_KEY))
    want = _reference_frame(train, pd.concat([train, test]), lag).loc[got.index]
    coverage = got.notna().mean()
    assert coverage.drop("StoreDayPromoSales").min() > 0.3  # the spans hold sales for most rows
    assert coverage["StoreDayPromoSales"] > 0.05  # 4 same weekdays and promo: a month at least
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True),
        want[got.columns].reset_index(drop=True),
        check_exact=False,
        rtol=1e-9,
    )


def test_the_lag_defaults_to_the_horizon_and_refuses_a_shorter_one():
    tables = make_tables(seed=2)
    train, test = tables["train"], tables["test"]
    horizon = (test["Date"].max() - train.loc[train["Sales"] > 0, "Date"].max()).days
    assert recent_sales_lag(train, test, {}) == horizon
    assert recent_sales_lag(train, test, {"lag_days": horizon + 5}) == horizon + 5
    with pytest.raises(ParameterError, match=r"rossmann_data\.recent_sales\.lag_days = 3.*horizon"):
        recent_sales_lag(train, test, {"lag_days": 3})


@pytest.mark.parametrize(
    ("params", "key"),
    [({"spans": []}, "spans"), ({"spans": [7, 7]}, "spans"), ({"lag_days": 0}, "lag_days")],
)
def test_bad_parameters_are_named(params, key):
    with pytest.raises(ParameterError, match=key):
        RecentSalesConfig.from_params(params)


def _daily_sales(stores: int, days: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2014-01-01", periods=days)
    frame = pd.MultiIndex.from_product([range(1, stores + 1), dates], names=EVENT_KEY).to_frame(
        index=False
    )
    sales = rng.integers(1_000, 9_000, len(frame)).astype(float)
    sales[rng.random(len(frame)) < 0.15] = 0  # closed days count for nothing
    return frame.assign(Promo=rng.integers(0, 2, len(frame)), Sales=sales)


@settings(max_examples=25, deadline=None)
@given(
    cut=st.integers(min_value=0, max_value=119),
    lag=st.integers(min_value=1, max_value=40),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_shifting_the_future_leaves_the_feature_unchanged(cut, lag, seed):
    """Sales from day ``cut`` on are replaced: every row before ``cut + lag`` keeps its value."""
    rows = _daily_sales(stores=3, days=120, seed=seed)
    first = rows["Date"].min()
    future = rows["Date"] >= first + dt.timedelta(days=cut)
    shifted = rows.assign(Sales=rows["Sales"].where(~future, rows["Sales"][::-1].to_numpy() + 1))
    before = recent_sales(rows, rows, lag, SPANS)
    after = recent_sales(shifted, rows, lag, SPANS)
    known = (before["Date"] < first + dt.timedelta(days=cut + lag)).to_numpy()
    pd.testing.assert_frame_equal(before[known], after[known])
    # ... and the feature does read sales: a row past the lag sees the change
    changed = ~known & future.to_numpy()
    if changed.any() and cut < 100:
        assert not before[changed].equals(after[changed])
