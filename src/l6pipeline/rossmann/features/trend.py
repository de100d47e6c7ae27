"""Google Trends: the per-state and national weekly series, and two alignments of days with weeks
(docs/rossmann_data.md#3-google-trend-week-alignment)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dates import add_datepart, day_numbers, from_day_numbers
from .joins import left_join

ALIGNMENTS = ("google_week", "fastai")
NATIONAL_FILE = "Rossmann_DE"
WEEK_LENGTH_DAYS = 7


def _validate_alignment(alignment: str) -> None:
    if alignment not in ALIGNMENTS:
        raise ValueError(f"trend_alignment must be one of {ALIGNMENTS}, got {alignment!r}")


def parse_google_trend(googletrend: pd.DataFrame) -> pd.DataFrame:
    """Columns State (NaN for the national series), Date (week start), WeekEnd, trend and the
    week's date parts."""
    week = googletrend["week"].astype("str")
    start = pd.to_datetime(week.str.slice(0, 10), format="%Y-%m-%d")
    end = pd.to_datetime(week.str.slice(13, 23), format="%Y-%m-%d")
    bad = (end - start) != pd.Timedelta(days=WEEK_LENGTH_DAYS - 1)
    if bad.any():
        raise ValueError(
            f"googletrend weeks must span {WEEK_LENGTH_DAYS} days, e.g. "
            f"{googletrend.loc[bad, 'week'].head(3).tolist()}"
        )
    file = googletrend["file"].astype("str")
    parts = file.str.split("_", n=2, regex=False)
    state = parts.str.get(2).where(parts.str.len() > 2)
    state = state.where(state != "NI", "HB,NI")
    table = pd.DataFrame(
        {
            "file": file,
            "State": state,
            "Date": start.astype("datetime64[ns]"),
            "WeekEnd": end.astype("datetime64[ns]"),
            "trend": googletrend["trend"].to_numpy(np.int64),
        }
    )
    return add_datepart(table, "Date")


def split_national(trend: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-state rows, ``Rossmann_DE`` rows)."""
    national = trend["file"] == NATIONAL_FILE
    if not national.any():
        raise ValueError(f"googletrend has no national series {NATIONAL_FILE!r}")
    if trend.loc[~national, "State"].isna().any():
        raise ValueError("googletrend has files without a state suffix besides Rossmann_DE")
    return (
        trend.loc[~national].reset_index(drop=True),
        trend.loc[national].reset_index(drop=True),
    )


def week_start_weekday(trend: pd.DataFrame) -> int:
    """The weekday (0 = Monday) every week starts on (6: Google's Sunday weeks)."""
    weekdays = np.unique(trend["Dayofweek"].to_numpy())
    if len(weekdays) != 1:
        raise ValueError(f"googletrend weeks start on several weekdays: {weekdays.tolist()}")
    return int(weekdays[0])


def containing_week_start(dates: pd.Series, start_weekday: int) -> pd.Series:
    """The first day of the 7-day week (starting on ``start_weekday``) that holds each date."""
    days = day_numbers(dates)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (3)
    start = days - (weekday - start_weekday) % WEEK_LENGTH_DAYS
    return pd.Series(from_day_numbers(start), index=dates.index, name="TrendWeekStart")


def join_trend(
    rows: pd.DataFrame,
    state_trend: pd.DataFrame,
    national_trend: pd.DataFrame,
    alignment: str = "google_week",
    *,
    name: str = "rows",
) -> pd.DataFrame:
    """``rows`` (with ``State``, ``Date`` and its date parts) plus ``trend`` and ``trend_DE``."""
    _validate_alignment(alignment)
    if alignment == "fastai":
        state_keys, national_keys = ["State", "Year", "Week"], ["Year", "Week"]
        keyed = rows
        row_state_keys, row_national_keys = state_keys, national_keys
    else:
        start_weekday = week_start_weekday(state_trend)
        if week_start_weekday(national_trend) != start_weekday:
            raise ValueError("national and state trend weeks start on different weekdays")
        keyed = rows.assign(_TrendWeekStart=containing_week_start(rows["Date"], start_weekday))
        state_keys, national_keys = ["State", "Date"], ["Date"]
        row_state_keys, row_national_keys = ["State", "_TrendWeekStart"], ["_TrendWeekStart"]
    joined = left_join(
        keyed,
        state_trend,
        row_state_keys,
        state_keys,
        columns=["trend"],
        name=f"{name} <- googletrend ({alignment})",
    )
    joined = left_join(
        joined,
        national_trend,
        row_national_keys,
        national_keys,
        columns=["trend"],
        rename={"trend": "trend_DE"},
        name=f"{name} <- googletrend Rossmann_DE ({alignment})",
    )
    return joined.drop(columns=["_TrendWeekStart"], errors="ignore")
