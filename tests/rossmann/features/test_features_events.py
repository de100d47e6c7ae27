"""Event features: vectorized scans vs. the loop reference, on hand-made and generated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l6pipeline.rossmann.features.events import (
    compute_event_features,
    event_feature_columns,
    event_features,
    state_holiday_flag,
)

from . import reference

START = pd.Timestamp("2014-12-20")


def frame_from(stores: list[tuple[int, list[int], list[bool], list[bool], list[str]]]):
    """Rows from (store, day offsets, school flags, promo flags, holiday codes) per store."""
    parts = []
    for store, offsets, school, promo, holiday in stores:
        parts.append(
            pd.DataFrame(
                {
                    "Store": np.int64(store),
                    "Date": (START + pd.to_timedelta(offsets, unit="D")).astype("datetime64[ns]"),
                    "SchoolHoliday": np.asarray(school, dtype=np.int64),
                    "Promo": np.asarray(promo, dtype=np.int64),
                    "StateHoliday": pd.Series(holiday, dtype="str"),
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
        offsets = sorted(draw(st.sets(st.integers(0, 60), min_size=1, max_size=25)))
        n = len(offsets)
        flags = st.lists(st.booleans(), min_size=n, max_size=n)
        codes = st.lists(st.sampled_from(["0", "0", "a", "b", "c"]), min_size=n, max_size=n)
        stores.append((store, offsets, draw(flags), draw(flags), draw(codes)))
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
