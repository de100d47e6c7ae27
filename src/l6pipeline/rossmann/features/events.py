"""Time since / until events and event counts in a 7-row window, per store (vectorized).

The lesson's ``get_elapsed`` walks the rows in Python; here each quantity is one pass of a
NumPy scan over the rows sorted by (store, date):

- ``After<X>``: days since the latest day with the event at or before the row's date (0 on the
  day itself), 0 when the store has no such day;
- ``Before<X>``: days until the next day with the event at or after the row's date, as a
  negative number (the lesson's convention), 0 when there is none;
- ``<X>_bw`` / ``<X>_fw``: number of event days among the row and the 6 previous / 6 following
  rows of the same store (rows, not calendar days, like the lesson's ``rolling(7)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dates import day_numbers

#: Event columns and, per column, the test "this row has the event".
EVENT_COLUMNS = ("SchoolHoliday", "StateHoliday", "Promo")
#: The StateHoliday code of an ordinary day.
NO_STATE_HOLIDAY = "0"
WINDOW_ROWS = 7
EVENT_KEY = ("Store", "Date")


def state_holiday_flag(codes: pd.Series) -> np.ndarray:
    """StateHoliday as the lesson's boolean: code != '0' (a, b, c: public, Easter, Christmas).

    Already-boolean columns pass through; integer 0 counts as '0'.
    """
    if pd.api.types.is_bool_dtype(codes):
        return codes.to_numpy(dtype=bool)
    return (codes.astype("str") != NO_STATE_HOLIDAY).to_numpy(dtype=bool)


def event_flags(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Boolean "event today" arrays for ``EVENT_COLUMNS``."""
    return {
        "SchoolHoliday": df["SchoolHoliday"].to_numpy() != 0,
        "StateHoliday": state_holiday_flag(df["StateHoliday"]),
        "Promo": df["Promo"].to_numpy() != 0,
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


def event_features(events: pd.DataFrame, window: int = WINDOW_ROWS) -> pd.DataFrame:
    """Elapsed and windowed event features of a (Store, Date, events...) table.

    Returns one row per input row, sorted by (Store, Date), with ``Date``, ``Store`` and the
    lesson's columns: ``After<X>``, ``Before<X>`` for X in SchoolHoliday, StateHoliday, Promo,
    then ``<X>_bw`` and ``<X>_fw``; all int64. (Store, Date) pairs must be unique.
    """
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
    return pd.DataFrame(out, copy=False)


def compute_event_features(
    train: pd.DataFrame, test: pd.DataFrame, window: int = WINDOW_ROWS
) -> pd.DataFrame:
    """:func:`event_features` over train and test together (all rows, closed days included)."""
    columns = [*EVENT_KEY, *EVENT_COLUMNS]
    both = pd.concat([train[columns], test[columns]], ignore_index=True)
    return event_features(both, window)


def event_feature_columns() -> list[str]:
    """Names of the event columns :func:`event_features` adds besides the keys."""
    after_before = [f"{kind}{name}" for name in EVENT_COLUMNS for kind in ("After", "Before")]
    windows = [name + suffix for suffix in ("_bw", "_fw") for name in EVENT_COLUMNS]
    return after_before + windows
