"""Small hand-built Rossmann-like frames (the lesson's column types) for the tabular tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


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
