"""Elapsed-event, windowed-count, reopening and holiday-week features per store: the lesson's
``get_elapsed`` and ``rolling(7)`` as NumPy scans (docs/rossmann_data.md, step 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dates import day_numbers
from .partitions import computed

#: Events with elapsed and windowed counts (see :func:`event_flags`).
EVENT_COLUMNS = ("SchoolHoliday", "StateHoliday", "Promo", "Closed")
#: The holidays counted per calendar week, and the weeks counted (suffix: weeks from the row's).
WEEK_COUNTED = ("SchoolHoliday", "StateHoliday")
WEEK_SHIFTS = {"Week": 0, "WeekBefore": -1, "WeekAfter": 1}
#: The raw columns the events are read from (besides ``EVENT_KEY``).
EVENT_INPUTS = ("SchoolHoliday", "StateHoliday", "Promo", "Open")
#: A store that had no open day for more than this many days has been closed, not resting.
LONG_CLOSURE_DAYS = 14
#: ``AfterReopen`` of a store that never reopened, or reopened longer ago.
REOPEN_CAP = 365
#: The StateHoliday code of an ordinary day.
NO_STATE_HOLIDAY = "0"
WINDOW_ROWS = 7
EVENT_KEY = ("Store", "Date")


def state_holiday_flag(codes: pd.Series) -> np.ndarray:
    """StateHoliday as the lesson's boolean: code != '0' (booleans pass; integer 0 counts as '0')."""
    if pd.api.types.is_bool_dtype(codes):
        return codes.to_numpy(dtype=bool)
    return (codes.astype("str") != NO_STATE_HOLIDAY).to_numpy(dtype=bool)


def open_flag(df: pd.DataFrame) -> np.ndarray:
    """``Open != 0``; a missing ``Open`` (11 rows of test.csv) counts as open, as in the
    submission."""
    return df["Open"].to_numpy(dtype=float, na_value=1.0) != 0


def event_flags(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Boolean "event today" arrays for ``EVENT_COLUMNS``: ``Closed`` is a closed day other
    than Sunday (most stores close every Sunday; that is no news)."""
    sunday = pd.DatetimeIndex(df["Date"]).day_of_week.to_numpy() == 6
    return {
        "SchoolHoliday": df["SchoolHoliday"].to_numpy() != 0,
        "StateHoliday": state_holiday_flag(df["StateHoliday"]),
        "Promo": df["Promo"].to_numpy() != 0,
        "Closed": ~open_flag(df) & ~sunday,
    }


def group_bounds(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by group: each row's first and last row index within its group."""
    n = len(groups)
    change = np.flatnonzero(groups[1:] != groups[:-1]) + 1
    starts = np.concatenate([[0], change]).astype(np.int64)
    ends = np.concatenate([change, [n]]).astype(np.int64) - 1
    lengths = ends - starts + 1
    return np.repeat(starts, lengths), np.repeat(ends, lengths)


def days_after(days: np.ndarray, flag: np.ndarray, row_start: np.ndarray) -> np.ndarray:
    """Days since the latest flagged row at or before each row in its group (0 if none)."""
    index = np.arange(len(days))
    last = np.maximum.accumulate(np.where(flag, index, -1)) if len(days) else index
    found = last >= row_start
    return np.where(found, days - days[np.where(found, last, index)], 0).astype(np.int64)


def days_before(days: np.ndarray, flag: np.ndarray, row_end: np.ndarray) -> np.ndarray:
    """Minus the days until the next flagged row at or after each row in its group (0 if none)."""
    n = len(days)
    index = np.arange(n)
    if n:
        nxt = np.minimum.accumulate(np.where(flag, index, n)[::-1])[::-1]
    else:
        nxt = index
    found = nxt <= row_end
    return np.where(found, days - days[np.where(found, nxt, index)], 0).astype(np.int64)


def window_counts(
    flag: np.ndarray, row_start: np.ndarray, row_end: np.ndarray, before: int, after: int
) -> np.ndarray:
    """Flagged rows among rows ``i - before .. i + after`` of each row's group."""
    index = np.arange(len(flag))
    cumulative = np.concatenate([[0], np.cumsum(flag, dtype=np.int64)])
    low = np.maximum(index - before, row_start)
    high = np.minimum(index + after, row_end)
    return cumulative[high + 1] - cumulative[low]


def days_since_reopening(
    days: np.ndarray, is_open: np.ndarray, row_start: np.ndarray, data_days: np.ndarray
) -> np.ndarray:
    """Days since the latest open day after more than ``LONG_CLOSURE_DAYS`` data days without one,
    capped at ``REOPEN_CAP``; days missing from every store are no closure."""
    index = np.arange(len(days))
    rank = np.searchsorted(data_days, days)
    last_open = np.maximum.accumulate(np.where(is_open, index, -1)) if len(days) else index
    previous = np.full(len(days), -1)
    previous[1:] = last_open[:-1]
    has_previous = previous >= row_start
    gap = rank - rank[np.where(has_previous, previous, index)]
    reopened = is_open & has_previous & (gap > LONG_CLOSURE_DAYS + 1)
    found = np.maximum.accumulate(np.where(reopened, index, -1)) if len(days) else index
    found = np.where(found >= row_start, found, -1)
    since = np.where(found >= 0, days - days[np.maximum(found, 0)], REOPEN_CAP)
    return np.minimum(since, REOPEN_CAP).astype(np.int64)


def week_counts(store: np.ndarray, days: np.ndarray, flag: np.ndarray) -> dict[str, np.ndarray]:
    """Flagged days of each row's store in its calendar week (Monday to Sunday), the week
    before and the week after."""
    week = (days + 3) // 7  # day 0, 1970-01-01, was a Thursday: weeks start on Mondays
    key = pd.MultiIndex.from_arrays([store, week])
    totals = pd.Series(flag.astype(np.int64), index=key).groupby(level=[0, 1]).sum()

    def lookup(shift: int) -> np.ndarray:
        wanted = pd.MultiIndex.from_arrays([store, week + shift])
        return totals.reindex(wanted, fill_value=0).to_numpy(np.int64)

    return {suffix: lookup(shift) for suffix, shift in WEEK_SHIFTS.items()}


def event_features(
    events: pd.DataFrame, window: int = WINDOW_ROWS, data_days: np.ndarray | None = None
) -> pd.DataFrame:
    """The event columns of a (Store, Date, events...) table, one row per input row sorted by
    (Store, Date); ``data_days`` are the days the data holds for any store."""
    store = events["Store"].to_numpy()
    days = day_numbers(events["Date"])
    order = np.lexsort((days, store))
    store, days = store[order], days[order]
    duplicated = np.zeros(len(order), dtype=bool)
    duplicated[1:] = (store[1:] == store[:-1]) & (days[1:] == days[:-1])
    if duplicated.any():
        sample = events.iloc[order[np.flatnonzero(duplicated)[:5]]][list(EVENT_KEY)]
        raise ValueError(
            f"{int(duplicated.sum())} duplicated (Store, Date) rows in the event table, "
            f"e.g. {sample.to_dict('records')}"
        )
    row_start, row_end = group_bounds(store)
    flags = {name: flag[order] for name, flag in event_flags(events).items()}

    out: dict[str, np.ndarray] = {
        "Date": events["Date"].to_numpy()[order],
        "Store": store,
    }
    for name in EVENT_COLUMNS:
        out[f"After{name}"] = days_after(days, flags[name], row_start)
        out[f"Before{name}"] = days_before(days, flags[name], row_end)
    for suffix, before, after in (("_bw", window - 1, 0), ("_fw", 0, window - 1)):
        for name in EVENT_COLUMNS:
            out[name + suffix] = window_counts(flags[name], row_start, row_end, before, after)
    if data_days is None:
        data_days = np.unique(days)
    is_open = open_flag(events)[order]
    out["AfterReopen"] = days_since_reopening(days, is_open, row_start, data_days)
    for name in WEEK_COUNTED:
        for suffix, counts in week_counts(store, days, flags[name]).items():
            out[name + suffix] = counts
    return pd.DataFrame(out, copy=False)


def compute_event_features(
    train: pd.DataFrame,
    test: pd.DataFrame,
    window: int = WINDOW_ROWS,
    days: np.ndarray | None = None,
) -> pd.DataFrame:
    """:func:`event_features` over train and test together (all rows, closed days included);
    ``days``: the data's days when train and test hold only some stores (:func:`data_days`)."""
    columns = [*EVENT_KEY, *EVENT_INPUTS]
    both = pd.concat([train[columns], test[columns]], ignore_index=True)
    return event_features(both, window, days)


def data_days(*tables: pd.DataFrame) -> np.ndarray:
    """The sorted day numbers on which any row of ``tables`` (pandas or Dask) lies."""
    dates = [computed(table["Date"].drop_duplicates()) for table in tables]
    return np.unique(np.concatenate([day_numbers(d) for d in dates]))


def event_feature_columns() -> list[str]:
    """Names of the event columns :func:`event_features` adds besides the keys."""
    after_before = [f"{kind}{name}" for name in EVENT_COLUMNS for kind in ("After", "Before")]
    windows = [name + suffix for suffix in ("_bw", "_fw") for name in EVENT_COLUMNS]
    weeks = [name + suffix for name in WEEK_COUNTED for suffix in WEEK_SHIFTS]
    return after_before + windows + ["AfterReopen"] + weeks
