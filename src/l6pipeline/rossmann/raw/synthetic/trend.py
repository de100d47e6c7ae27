"""The synthetic googletrend.csv: weekly search interest per state and nationally."""

from __future__ import annotations

import numpy as np
import pandas as pd

from l6pipeline.rossmann.raw.schemas import NATIONAL_TREND, TREND_SUFFIXES
from l6pipeline.rossmann.raw.synthetic.weather import ar1

# The series in the order of fast.ai's googletrend.csv.
TREND_ORDER = (
    f"{NATIONAL_TREND}_SN",
    NATIONAL_TREND,
    *(f"{NATIONAL_TREND}_{s}" for s in TREND_SUFFIXES if s != "SN"),
)


def googletrend_table(
    days: pd.DatetimeIndex, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Weekly (Sunday-Saturday) interest, 0..100 per series, and the latent interest per day.

    The latent interest has shape (len(TREND_ORDER), len(days)); it also nudges sales.
    """
    first = days.min() - pd.Timedelta(days=(days.min().weekday() + 1) % 7 + 28)
    last = days.max() + pd.Timedelta(days=(5 - days.max().weekday()) % 7 + 14)
    sundays = pd.date_range(first, last - pd.Timedelta(days=6), freq="7D")
    n_series, n_weeks = len(TREND_ORDER), len(sundays)
    latent = 0.7 * ar1(rng, (1, n_weeks), 0.7) + 0.7 * ar1(rng, (n_series, n_weeks), 0.6)
    saturdays = sundays + pd.Timedelta(days=6)
    december = np.asarray(saturdays.month == 12)
    christmas_week = december & np.asarray(saturdays.day >= 25) & np.asarray(sundays.day <= 25)
    advent = december & ~christmas_week & np.asarray(saturdays.day < 25)
    raw = 1.0 + 0.08 * latent + 0.3 * advent - 0.35 * christmas_week
    raw *= np.exp(rng.normal(0, 0.03, raw.shape))
    trend = np.clip(np.round(100 * raw / raw.max(axis=1, keepdims=True)), 0, 100)
    small = TREND_ORDER.index(f"{NATIONAL_TREND}_SL")  # low search volume: noisy, some zeros
    trend[small] = np.where(
        rng.random(n_weeks) < 0.04, 0, np.round(trend[small] * rng.uniform(0.6, 1.0, n_weeks))
    )
    weeks = sundays.strftime("%Y-%m-%d") + " - " + saturdays.strftime("%Y-%m-%d")
    frame = pd.DataFrame(
        {
            "file": pd.Series(np.repeat(TREND_ORDER, n_weeks), dtype="str"),
            "week": pd.Series(np.tile(weeks.to_numpy(dtype=object), n_series), dtype="str"),
            "trend": trend.ravel().astype("int64"),
        }
    )
    week_of_day = ((days - sundays[0]).days // 7).to_numpy()
    return frame, latent[:, week_of_day]
