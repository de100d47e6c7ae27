"""How long the nearest competitor has been open and how long the store has run Promo2."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dates import day_numbers, from_day_numbers, iso_week_monday_day_numbers, month_day_numbers
from .joins import replace_columns

#: Signal values for a missing "open since" (the lesson's: before any real date).
MISSING_YEAR = 1900
MISSING_MONTH = 1
MISSING_WEEK = 1
#: Since-years before this are treated as "unknown": their day counts are 0.
MIN_SINCE_YEAR = 1990
COMPETITION_DAY_OF_MONTH = 15
MAX_COMPETITION_MONTHS = 24
MAX_PROMO2_WEEKS = 25

COMPETITION_COLUMNS = (
    "CompetitionOpenSince",
    "CompetitionDaysOpen",
    "CompetitionMonthsOpen",
    "Promo2Since",
    "Promo2Days",
    "Promo2Weeks",
)


def fill_since_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Missing open-since year/month -> 1900/1, Promo2 since year/week -> 1900/1, as int64."""
    fills = {
        "CompetitionOpenSinceYear": MISSING_YEAR,
        "CompetitionOpenSinceMonth": MISSING_MONTH,
        "Promo2SinceYear": MISSING_YEAR,
        "Promo2SinceWeek": MISSING_WEEK,
    }
    return replace_columns(
        df, {col: df[col].fillna(value).to_numpy(dtype=np.int64) for col, value in fills.items()}
    )


def _days_since(date_days: np.ndarray, since_days: np.ndarray, since_year: np.ndarray):
    days = np.maximum(date_days - since_days, 0)
    days[since_year < MIN_SINCE_YEAR] = 0
    return days


def add_competition_promo2_features(df: pd.DataFrame) -> pd.DataFrame:
    """The lesson's competition and Promo2 durations, vectorized: the columns of
    docs/rossmann_data.md#4-competition-and-promo2 (the since-columns filled, see :func:`fill_since_columns`)."""
    filled = fill_since_columns(df)
    date_days = day_numbers(filled["Date"])
    comp_year = filled["CompetitionOpenSinceYear"].to_numpy()
    promo_year = filled["Promo2SinceYear"].to_numpy()
    comp_since = month_day_numbers(
        comp_year, filled["CompetitionOpenSinceMonth"].to_numpy(), COMPETITION_DAY_OF_MONTH
    )
    promo_since = iso_week_monday_day_numbers(promo_year, filled["Promo2SinceWeek"].to_numpy())
    comp_days = _days_since(date_days, comp_since, comp_year)
    promo_days = _days_since(date_days, promo_since, promo_year)
    features = pd.DataFrame(
        {
            "CompetitionOpenSince": from_day_numbers(comp_since),
            "CompetitionDaysOpen": comp_days,
            "CompetitionMonthsOpen": np.minimum(comp_days // 30, MAX_COMPETITION_MONTHS),
            "Promo2Since": from_day_numbers(promo_since),
            "Promo2Days": promo_days,
            "Promo2Weeks": np.clip(promo_days // 7, 0, MAX_PROMO2_WEEKS),
        },
        index=filled.index,
        copy=False,
    )
    clashes = [col for col in features.columns if col in filled.columns]
    if clashes:
        raise ValueError(f"competition/Promo2 columns {clashes} already exist")
    return pd.concat([filled, features], axis=1)
