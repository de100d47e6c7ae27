"""Calendar features of a date column (the lesson's ``add_datepart``) and day arithmetic."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Columns ``add_datepart`` adds (after the prefix), in the lesson's order.
DATEPART_COLUMNS = (
    "Year",
    "Month",
    "Week",
    "Day",
    "Dayofweek",
    "Dayofyear",
    "Is_month_end",
    "Is_month_start",
    "Is_quarter_end",
    "Is_quarter_start",
    "Is_year_end",
    "Is_year_start",
    "Elapsed",
)


def date_parts(dates: pd.Series, prefix: str = "") -> pd.DataFrame:
    """The date-part table of ``dates`` (same index), computed once per distinct date."""
    codes, uniques = pd.factorize(dates)
    if (codes < 0).any():
        raise ValueError(f"{dates.name!r} has {int((codes < 0).sum())} missing dates")
    day = pd.DatetimeIndex(uniques)
    table = {
        "Year": day.year,
        "Month": day.month,
        "Week": day.isocalendar()["week"],
        "Day": day.day,
        "Dayofweek": day.day_of_week,
        "Dayofyear": day.day_of_year,
        "Is_month_end": day.is_month_end,
        "Is_month_start": day.is_month_start,
        "Is_quarter_end": day.is_quarter_end,
        "Is_quarter_start": day.is_quarter_start,
        "Is_year_end": day.is_year_end,
        "Is_year_start": day.is_year_start,
        "Elapsed": (day - pd.Timestamp(0)) // pd.Timedelta(seconds=1),
    }
    columns = {}
    for name, values in table.items():
        dtype = bool if name.startswith("Is_") else np.int64
        columns[prefix + name] = np.asarray(values, dtype=dtype)[codes]
    return pd.DataFrame(columns, index=dates.index, copy=False)


def add_datepart(df: pd.DataFrame, column: str = "Date", prefix: str | None = None) -> pd.DataFrame:
    """``df`` with the date parts of ``column`` appended, prefixed as in the lesson (``Date`` gives
    ``Year``, ``PromoDate`` gives ``PromoYear``)."""
    if prefix is None:
        prefix = re.sub("[Dd]ate$", "", column)
    parts = date_parts(df[column], prefix)
    clashes = [col for col in parts.columns if col in df.columns]
    if clashes:
        raise ValueError(f"date parts {clashes} already exist")
    return pd.concat([df, parts], axis=1)


def day_numbers(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Whole days since 1970-01-01 (int64) of a datetime column (time of day floored)."""
    return np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def from_day_numbers(days: np.ndarray) -> np.ndarray:
    """Inverse of :func:`day_numbers`: ``datetime64[ns]`` midnights."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")


def month_day_numbers(year: np.ndarray, month: np.ndarray, day: int) -> np.ndarray:
    """Day numbers of ``year-month-day`` (vectorized ``date(year, month, day)``)."""
    year = np.asarray(year, dtype=np.int64)
    month = np.asarray(month, dtype=np.int64)
    if ((month < 1) | (month > 12)).any():
        raise ValueError(f"months outside 1..12: {sorted(set(month[(month < 1) | (month > 12)]))}")
    months = ((year - 1970) * 12 + (month - 1)).astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64) + (day - 1)


def iso_week_monday_day_numbers(year: np.ndarray, week: np.ndarray) -> np.ndarray:
    """Day numbers of the Monday of ISO week ``week`` of ``year``, as ``isoweek.Week(...).monday()``."""
    year = np.asarray(year, dtype=np.int64)
    week = np.asarray(week, dtype=np.int64)
    if (week < 1).any():
        raise ValueError(f"ISO weeks below 1: {sorted(set(week[week < 1]))}")
    jan4 = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64) + 3
    # Day 0 (1970-01-01) was a Thursday: weekday (Monday = 0) is (days + 3) % 7.
    week1_monday = jan4 - (jan4 + 3) % 7
    return week1_monday + 7 * (week - 1)
