"""Event features: vectorized scans vs. the loop reference, on hand-made and generated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l6pipeline.rossmann.features.events import (
    compute_event_features,
    data_days,
    event_feature_columns,
    event_features,
    state_holiday_flag,
)

from . import reference

START = pd.Timestamp("2014-12-20")


def frame_from(stores: list[tuple]):
    """Rows from (store, day offsets, school flags, promo flags, holiday codes[, open flags])
    per store (open every day unless given)."""
    parts = []
    for store, offsets, school, promo, holiday, *is_open in stores:
        opened = is_open[0] if is_open else [True] * len(offsets)
        parts.append(
            pd.DataFrame(
                {
                    "Store": np.int64(store),
                    "Date": (START + pd.to_timedelta(offsets, unit="D")).astype("datetime64[ns]"),
                    "SchoolHoliday": np.asarray(school, dtype=np.int64),
                    "Promo": np.asarray(promo, dtype=np.int64),
                    "StateHoliday": pd.Series(holiday, dtype="str"),
                    "Open": np.asarray(opened, dtype=np.float64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def assert_matches_reference(frame: pd.DataFrame, window: int = 7) -> pd.DataFrame:
    got = event_features(frame, window)
    want = reference.events(frame.to_dict("records"), window)
    assert len(got) == len(frame)
    for row in got.to_dict("records"):
        key = (row["Store"], row["Date"].date())
        assert {k: row[k] for k in event_feature_columns()} == want[key], key
    # sorted by (Store, Date)
    keys = list(zip(got["Store"], got["Date"], strict=True))
    assert keys == sorted(keys)
    return got


@st.composite
def store_sequences(draw):
    n_stores = draw(st.integers(1, 4))
    stores = []
    for store in draw(st.permutations(range(1, 9)))[:n_stores]:
        offsets = sorted(draw(st.sets(st.integers(0, 90), min_size=1, max_size=25)))
        n = len(offsets)
        flags = st.lists(st.booleans(), min_size=n, max_size=n)
        codes = st.lists(st.sampled_from(["0", "0", "a", "b", "c"]), min_size=n, max_size=n)
        opened = st.lists(st.sampled_from([True, True, True, False]), min_size=n, max_size=n)
        stores.append((store, offsets, draw(flags), draw(flags), draw(codes), draw(opened)))
    return stores


@settings(max_examples=200, deadline=None)
@given(store_sequences(), st.randoms(use_true_random=False))
def test_event_features_match_reference(stores, rnd):
    frame = frame_from(stores)
    shuffled = frame.iloc[rnd.sample(range(len(frame)), len(frame))].reset_index(drop=True)
    assert_matches_reference(shuffled)


@settings(max_examples=50, deadline=None)
@given(store_sequences(), st.integers(1, 10))
def test_other_window_sizes_match_reference(stores, window):
    assert_matches_reference(frame_from(stores), window)


def test_hand_computed_example():
    # one store, days 0..9 with day 4 missing; promo on days 2 and 7; none on first/last day
    offsets = [0, 1, 2, 3, 5, 6, 7, 8, 9]
    promo = [d in (2, 7) for d in offsets]
    frame = frame_from([(1, offsets, [False] * 9, promo, ["0"] * 9)])
    got = event_features(frame)
    assert got["AfterPromo"].tolist() == [0, 0, 0, 1, 3, 4, 0, 1, 2]
    assert got["BeforePromo"].tolist() == [-2, -1, 0, -4, -2, -1, 0, 0, 0]
    # windows count rows (days present), not calendar days: the last row (day 9) sees rows
    # for days 2..9 minus the missing day 4, so day 2's promo is in its window
    assert got["Promo_bw"].tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2]
    assert got["Promo_fw"].tolist() == [2, 2, 2, 1, 1, 1, 1, 0, 0]
    assert got["AfterSchoolHoliday"].tolist() == [0] * 9
    assert got["BeforeSchoolHoliday"].tolist() == [0] * 9


def test_events_on_first_and_last_day_and_store_boundaries():
    frame = frame_from(
        [
            (1, [0, 1, 2], [True, False, True], [False] * 3, ["a", "0", "0"]),
            (2, [0, 1, 2], [False, False, False], [False] * 3, ["0", "0", "c"]),
        ]
    )
    got = assert_matches_reference(frame)
    store2 = got[got["Store"] == 2]
    # store 1's events never leak into store 2
    assert store2["AfterSchoolHoliday"].tolist() == [0, 0, 0]
    assert store2["SchoolHoliday_bw"].tolist() == [0, 0, 0]
    assert store2["BeforeStateHoliday"].tolist() == [-2, -1, 0]
    assert got[got["Store"] == 1]["StateHoliday_fw"].tolist() == [1, 0, 0]


def test_duplicate_store_dates_fail():
    frame = frame_from([(1, [0, 1], [False, True], [False, False], ["0", "0"])])
    with pytest.raises(ValueError, match="duplicated"):
        event_features(pd.concat([frame, frame.iloc[[1]]], ignore_index=True))


def test_train_and_test_are_combined():
    train = frame_from([(1, [0, 1, 2], [False] * 3, [False, False, False], ["0"] * 3)])
    test = frame_from([(1, [3, 4], [False] * 2, [True, False], ["0"] * 2)])
    got = compute_event_features(train, test)
    assert got["BeforePromo"].tolist() == [-3, -2, -1, 0, 0]
    assert got["AfterPromo"].tolist() == [0, 0, 0, 0, 1]


def test_state_holiday_flag():
    codes = pd.Series(["0", "a", "b", "c", "0"], dtype="str")
    assert state_holiday_flag(codes).tolist() == [False, True, True, True, False]
    assert state_holiday_flag(codes.astype(object)).tolist() == [False, True, True, True, False]
    assert state_holiday_flag(pd.Series([True, False])).tolist() == [True, False]


def test_empty_table():
    frame = frame_from([(1, [0], [False], [False], ["0"])]).iloc[:0]
    got = event_features(frame)
    assert len(got) == 0
    assert list(got.columns) == ["Date", "Store", *event_feature_columns()]


def test_closures_on_sundays_are_no_event_and_a_missing_open_is_open():
    # START is a Saturday: offsets 1 and 8 are Sundays
    offsets = list(range(10))
    opened = [True, False, True, False, True, True, True, True, False, True]
    frame = frame_from([(1, offsets, [False] * 10, [False] * 10, ["0"] * 10, opened)])
    frame.loc[frame.index[5], "Open"] = np.nan
    got = event_features(frame)
    assert got["Closed_bw"].tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    assert got["AfterClosed"].tolist() == [0, 0, 0, 0, 1, 2, 3, 4, 5, 6]
    assert got["BeforeClosed"].tolist() == [-3, -2, -1, 0, 0, 0, 0, 0, 0, 0]


def test_a_store_reopening_after_a_long_gap_counts_days_since():
    # store 1: open days 0..4, no rows on days 5..29 (a refurbishment), open again from 30
    # store 2 has a row every day, so the gap is a gap in the data's days
    store1 = [*range(5), *range(30, 36)]
    store2 = list(range(36))
    frame = frame_from(
        [
            (1, store1, [False] * 11, [False] * 11, ["0"] * 11),
            (2, store2, [False] * 36, [False] * 36, ["0"] * 36),
        ]
    )
    got = assert_matches_reference(frame)
    reopen = got[got["Store"] == 1]["AfterReopen"].tolist()
    assert reopen == [365] * 5 + [0, 1, 2, 3, 4, 5]
    assert (got[got["Store"] == 2]["AfterReopen"] == 365).all()


def test_days_missing_from_every_store_are_no_closure():
    # a train.csv that ends on day 9 and a test.csv that starts on day 40: no store has rows
    # in between, which is no refurbishment
    train = frame_from(
        [(s, list(range(10)), [False] * 10, [False] * 10, ["0"] * 10) for s in (1, 2)]
    )
    test = frame_from(
        [(s, list(range(40, 45)), [False] * 5, [False] * 5, ["0"] * 5) for s in (1, 2)]
    )
    got = compute_event_features(train, test)
    assert (got["AfterReopen"] == 365).all()


def test_holidays_are_counted_per_calendar_week():
    # START (offset 0) is Saturday 2014-12-20; the week of Monday 2014-12-22 is offsets 2..8
    offsets = list(range(16))
    holidays = ["0"] * 16
    holidays[4] = holidays[5] = "c"  # 24 and 25 December
    school = [o in (0, 9, 10, 11) for o in offsets]
    frame = frame_from([(1, offsets, school, [False] * 16, holidays)])
    got = assert_matches_reference(frame)
    week_of = [0, 0] + [1] * 7 + [2] * 7
    assert got["StateHolidayWeek"].tolist() == [2 if w == 1 else 0 for w in week_of]
    assert got["StateHolidayWeekAfter"].tolist() == [2 if w == 0 else 0 for w in week_of]
    assert got["StateHolidayWeekBefore"].tolist() == [2 if w == 2 else 0 for w in week_of]
    assert got["SchoolHolidayWeek"].tolist() == [{0: 1, 1: 0, 2: 3}[w] for w in week_of]


def test_some_stores_with_the_data_days_of_all_give_the_same_events():
    """The served model computes the events of a request's stores alone: with the data's days
    of every store, they equal those computed over every store."""
    frame = frame_from(
        [
            (1, [*range(5), *range(30, 36)], [False] * 11, [True, False] * 5 + [True], ["0"] * 11),
            (2, list(range(36)), [False] * 36, [False] * 36, ["0"] * 36),
        ]
    )
    everything = event_features(frame)
    alone = event_features(frame[frame["Store"] == 1], data_days=data_days(frame))
    pd.testing.assert_frame_equal(
        alone.reset_index(drop=True),
        everything[everything["Store"] == 1].reset_index(drop=True),
    )
