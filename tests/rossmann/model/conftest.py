"""Small hand-built Rossmann-like frames (the lesson's column types) for the tabular tests, and
one small backtest of a tiny procedure on them, shared by the tests that read its result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l6pipeline.core.nn import TrainConfig
from l6pipeline.rossmann.model.ensemble import EnsembleConfig
from l6pipeline.rossmann.model.lightgbm import LightGBMConfig
from l6pipeline.rossmann.model.procedure import BacktestResult, Procedure, run_backtest
from l6pipeline.rossmann.model.train import ModelConfig


def make_frame(n: int, seed: int, start: str = "2015-01-01") -> pd.DataFrame:
    """``n`` rows over consecutive days with categorical, boolean, string and gappy columns."""
    rng = np.random.default_rng(seed)
    store = rng.integers(1, 6, n)
    day = pd.date_range(start, periods=n // 5 + 1, freq="D").repeat(5)[:n]
    promo = rng.integers(0, 2, n)
    distance = rng.uniform(100, 5000, n)
    distance[rng.random(n) < 0.2] = np.nan
    events = pd.Series(rng.choice(["Rain", "Fog", "Snow"], n), dtype="str")
    events[rng.random(n) < 0.3] = np.nan
    sales = np.exp(7 + 0.3 * promo + 0.05 * store + rng.normal(0, 0.1, n)).round()
    return pd.DataFrame(
        {
            "Date": day,
            "Store": store,
            "DayOfWeek": day.day_of_week + 1,
            "StateHoliday": rng.random(n) < 0.1,
            "Events": events,
            "CompetitionDistance": distance,
            "Promo": promo,
            "Max_TemperatureC": rng.normal(15, 8, n).round(),
            "Sales": sales,
        }
    )


CAT_VARS = ["Store", "DayOfWeek", "StateHoliday", "Events"]
CONT_VARS = ["CompetitionDistance", "Promo", "Max_TemperatureC"]


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_frame(400, seed=0)


TINY = Procedure(
    CAT_VARS,
    CONT_VARS,
    ModelConfig(layers=(8,), ps=(0.0,), emb_drop=0.0),
    TrainConfig(epochs=3, batch_size=64, lr=0.01, progress=False, seed=3),
    EnsembleConfig(members=1),
    LightGBMConfig(
        num_boost_round=30,
        early_stopping_rounds=5,
        lgb_params={"num_leaves": 4, "min_data_in_leaf": 5, "num_threads": 1},
    ),
)


@pytest.fixture(scope="session")
def rows() -> pd.DataFrame:
    """The labelled rows of the shared backtest."""
    return make_frame(1500, seed=4)


@pytest.fixture(scope="session")
def result(rows) -> BacktestResult:
    """:data:`TINY` backtested on ``rows``: windows W3, W2, W1, the last prefix's states kept."""
    return run_backtest(rows, TINY, window_rows=150, folds=2, keep_last_states=True)
