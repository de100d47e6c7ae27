"""Date parts and competition / Promo2 durations vs. datetime-based loops."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l6pipeline.rossmann.features.competition import add_competition_promo2_features
from l6pipeline.rossmann.features.dates import (
    DATEPART_COLUMNS,
    add_datepart,
    date_parts,
    iso_week_monday_day_numbers,
    month_day_numbers,
)

from . import reference

dates = st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2099, 12, 31))


@settings(max_examples=100, deadline=None)
@given(st.lists(dates, min_size=1, max_size=40))
def test_date_parts_match_datetime(days):
    series = pd.Series(pd.to_datetime(days)).astype("datetime64[ns]")
    got = date_parts(series)
    assert list(got.columns) == list(DATEPART_COLUMNS)
    for day, row in zip(days, got.to_dict("records"), strict=True):
        assert row == reference.date_parts(day), day


def test_date_parts_dtypes_and_units():
    series = pd.Series(pd.to_datetime(["2015-12-28", "2016-01-03", "2015-12-28"]))
    for unit in ("s", "ms", "us", "ns"):
        got = date_parts(series.astype(f"datetime64[{unit}]"))
        assert got["Week"].tolist() == [53, 53, 53]
        assert got["Elapsed"].tolist() == [1451260800, 1451779200, 1451260800]
        assert all(got[c].dtype == (bool if c.startswith("Is_") else np.int64) for c in got)


def test_add_datepart_prefix_and_missing_dates():
    frame = pd.DataFrame({"PromoDate": pd.to_datetime(["2015-03-31"])})
    got = add_datepart(frame, "PromoDate")
    assert got.loc[0, "PromoIs_quarter_end"]
    assert "PromoDate" in got
    with pytest.raises(ValueError, match="missing"):
        date_parts(pd.Series(pd.to_datetime(["2015-01-01", None])))


@settings(max_examples=100, deadline=None)
@given(st.integers(1900, 2100), st.integers(1, 52))
def test_iso_week_monday_matches_fromisocalendar(year, week):
    got = iso_week_monday_day_numbers(np.array([year]), np.array([week]))[0]
    assert dt.date(1970, 1, 1) + dt.timedelta(days=int(got)) == dt.date.fromisocalendar(
        year, week, 1
    )


@settings(max_examples=100, deadline=None)
@given(st.integers(1900, 2100), st.integers(1, 12))
def test_month_day_numbers(year, month):
    got = month_day_numbers(np.array([year]), np.array([month]), 15)[0]
    assert dt.date(1970, 1, 1) + dt.timedelta(days=int(got)) == dt.date(year, month, 15)


def test_month_and_week_ranges_are_checked():
    with pytest.raises(ValueError, match="months"):
        month_day_numbers(np.array([2015]), np.array([13]), 15)
    with pytest.raises(ValueError, match="weeks"):
        iso_week_monday_day_numbers(np.array([2015]), np.array([0]))


maybe = lambda values: st.one_of(st.just(np.nan), values.map(float))  # noqa: E731


@st.composite
def store_days(draw):
    n = draw(st.integers(1, 30))
    rows = []
    for _ in range(n):
        rows.append(
            {
                "Date": pd.Timestamp(draw(st.dates(dt.date(1985, 1, 1), dt.date(2020, 12, 31)))),
                "CompetitionOpenSinceMonth": draw(maybe(st.integers(1, 12))),
                "CompetitionOpenSinceYear": draw(maybe(st.integers(1900, 2020))),
                "Promo2SinceWeek": draw(maybe(st.integers(1, 53))),
                "Promo2SinceYear": draw(maybe(st.integers(1900, 2020))),
            }
        )
    return pd.DataFrame(rows).astype({"Date": "datetime64[ns]"})


@settings(max_examples=150, deadline=None)
@given(store_days())
def test_competition_promo2_match_reference(frame):
    got = add_competition_promo2_features(frame)
    for source, row in zip(frame.to_dict("records"), got.to_dict("records"), strict=True):
        want = reference.competition(source["Date"].date(), source)
        for key, value in want.items():
            have = row[key]
            if isinstance(value, dt.date):
                have = have.date()
            assert have == value, (key, source)
    for col in ("CompetitionDaysOpen", "CompetitionMonthsOpen", "Promo2Days", "Promo2Weeks"):
        assert got[col].dtype == np.int64
    assert got["CompetitionMonthsOpen"].between(0, 24).all()
    assert got["Promo2Weeks"].between(0, 25).all()


def test_competition_hand_example():
    frame = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2015-07-31", "2015-07-31", "2015-07-31", "2015-07-31"]),
            "CompetitionOpenSinceMonth": [9.0, np.nan, 8.0, 6.0],
            "CompetitionOpenSinceYear": [2008.0, np.nan, 2015.0, 1961.0],
            "Promo2SinceWeek": [np.nan, 13.0, 31.0, 1.0],
            "Promo2SinceYear": [np.nan, 2010.0, 2015.0, 2015.0],
        }
    )
    got = add_competition_promo2_features(frame)
    assert got["CompetitionOpenSince"].dt.strftime("%Y-%m-%d").tolist() == [
        "2008-09-15",
        "1900-01-15",
        "2015-08-15",
        "1961-06-15",
    ]
    assert got["CompetitionDaysOpen"].tolist() == [2510, 0, 0, 0]
    assert got["CompetitionMonthsOpen"].tolist() == [24, 0, 0, 0]
    assert got["CompetitionOpenSinceYear"].tolist() == [2008, 1900, 2015, 1961]
    assert got["Promo2Since"].dt.strftime("%Y-%m-%d").tolist() == [
        "1900-01-01",
        "2010-03-29",
        "2015-07-27",
        "2014-12-29",
    ]
    assert got["Promo2Days"].tolist() == [0, 1950, 4, 214]
    assert got["Promo2Weeks"].tolist() == [0, 25, 0, 25]
