"""Checked joins and the two Google-trend alignments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l6pipeline.pipelines.rossmann_data import build_feature_tables
from l6pipeline.rossmann.features import JoinError, left_join
from l6pipeline.rossmann.features.build import join_store_states, join_weather_states
from l6pipeline.rossmann.features.dates import add_datepart
from l6pipeline.rossmann.features.trend import (
    containing_week_start,
    join_trend,
    parse_google_trend,
    split_national,
)

from .synthetic_tables import make_tables

# --- joins ----------------------------------------------------------------------------------


def test_left_join_keeps_left_rows_order_and_index():
    left = pd.DataFrame({"k": [3, 1, 3, 2], "x": list("abcd")}, index=[10, 11, 12, 13])
    right = pd.DataFrame({"k": [1, 2, 3], "y": [0.1, 0.2, 0.3], "z": pd.Series(list("pqr"))})
    got = left_join(left, right, "k")
    assert got.index.tolist() == [10, 11, 12, 13]
    assert got["y"].tolist() == [0.3, 0.1, 0.3, 0.2]
    assert got["z"].tolist() == ["r", "p", "r", "q"]
    assert list(got.columns) == ["k", "x", "y", "z"]


def test_left_join_multi_key_with_different_names_and_dtypes():
    left = pd.DataFrame(
        {"s": pd.Series(["A", "B", "A"], dtype="str"), "d": pd.to_datetime(["2015-01-02"] * 3)}
    )
    right = pd.DataFrame(
        {
            "state": pd.Series(["B", "A"], dtype=object),
            "day": pd.to_datetime(["2015-01-02"] * 2).astype("datetime64[us]"),
            "v": [2, 1],
        }
    )
    got = left_join(left, right, ["s", "d"], ["state", "day"], columns=["v"])
    assert got["v"].tolist() == [1, 2, 1]


def test_unmatched_keys_fail_loudly_with_examples():
    left = pd.DataFrame({"k": [1, 2, 99, 98]})
    right = pd.DataFrame({"k": [1, 2], "v": [1, 2]})
    with pytest.raises(JoinError, match=r"my join: 2 of 4 rows have no match.*\(99,\)"):
        left_join(left, right, "k", name="my join")


def test_missing_left_keys_are_unmatched():
    left = pd.DataFrame({"k": [1.0, np.nan]})
    right = pd.DataFrame({"k": [1.0], "v": [1]})
    with pytest.raises(JoinError, match="1 of 2"):
        left_join(left, right, "k")


def test_all_missing_left_keys_and_empty_tables():
    right = pd.DataFrame({"k": [1.0], "v": [1]})
    with pytest.raises(JoinError, match="2 of 2"):
        left_join(pd.DataFrame({"k": [np.nan, np.nan]}), right, "k")
    empty = left_join(pd.DataFrame({"k": pd.Series([], dtype=float)}), right, "k")
    assert list(empty.columns) == ["k", "v"] and len(empty) == 0
    with pytest.raises(JoinError, match="1 of 1"):
        left_join(pd.DataFrame({"k": [1.0]}), right.iloc[:0], "k")


def test_duplicate_right_keys_fail():
    left = pd.DataFrame({"k": [1]})
    right = pd.DataFrame({"k": [1, 1], "v": [1, 2]})
    with pytest.raises(JoinError, match="duplicated keys"):
        left_join(left, right, "k")


def test_column_clash_fails_instead_of_suffixing():
    left = pd.DataFrame({"k": [1], "v": [0]})
    right = pd.DataFrame({"k": [1], "v": [1]})
    with pytest.raises(JoinError, match="exist on both sides"):
        left_join(left, right, "k")
    assert left_join(left, right, "k", rename={"v": "v_r"})["v_r"].tolist() == [1]


def test_store_without_state_fails():
    tables = make_tables()
    with pytest.raises(JoinError, match="store <- store_states"):
        join_store_states(tables["store"], tables["store_states"].iloc[1:])


def test_weather_file_without_state_name_fails():
    tables = make_tables()
    with pytest.raises(JoinError, match="weather <- state_names"):
        join_weather_states(tables["weather"], tables["state_names"].iloc[1:])


def test_train_row_without_weather_fails():
    tables = make_tables()
    weather = tables["weather"]
    tables["weather"] = weather[weather["Date"] != weather["Date"].max()]
    with pytest.raises(JoinError, match="test <- weather"):
        build_feature_tables(tables)


def test_trend_state_missing_fails():
    tables = make_tables()
    trend = tables["googletrend"]
    tables["googletrend"] = trend[trend["file"] != "Rossmann_DE_SN"]
    with pytest.raises(JoinError, match="googletrend"):
        build_feature_tables(tables)


# --- Google trend ---------------------------------------------------------------------------


def trend_frame(files, weeks, values):
    return pd.DataFrame(
        {"file": pd.Series(files, dtype="str"), "week": weeks, "trend": np.asarray(values)}
    )


def test_parse_google_trend_states_and_weeks():
    trend = parse_google_trend(
        trend_frame(
            ["Rossmann_DE_SN", "Rossmann_DE_NI", "Rossmann_DE"],
            ["2012-12-02 - 2012-12-08"] * 3,
            [96, 80, 70],
        )
    )
    assert trend["State"].tolist()[:2] == ["SN", "HB,NI"]
    assert pd.isna(trend["State"].iloc[2])
    assert (trend["Date"] == pd.Timestamp("2012-12-02")).all()
    assert (trend["WeekEnd"] == pd.Timestamp("2012-12-08")).all()
    assert trend["Dayofweek"].tolist() == [6, 6, 6]  # Sunday
    state, national = split_national(trend)
    assert len(state) == 2 and national["trend"].tolist() == [70]


def test_bad_week_span_fails():
    with pytest.raises(ValueError, match="span 7 days"):
        parse_google_trend(trend_frame(["Rossmann_DE"], ["2012-12-02 - 2012-12-09"], [1]))


def test_containing_week_start():
    days = pd.Series(pd.date_range("2013-12-28", "2014-01-06"))
    got = containing_week_start(days, 6)  # weeks start on Sunday
    sundays = ["2013-12-22"] + ["2013-12-29"] * 7 + ["2014-01-05"] * 2
    assert got.dt.strftime("%Y-%m-%d").tolist() == sundays


def _weekly_trend(first_sunday: str, n_weeks: int):
    sundays = pd.date_range(first_sunday, periods=n_weeks, freq="7D")
    weeks = (
        sundays.strftime("%Y-%m-%d") + " - " + (sundays + pd.Timedelta(days=6)).strftime("%Y-%m-%d")
    )
    n = len(weeks)
    raw = trend_frame(
        ["Rossmann_DE_SN"] * n + ["Rossmann_DE"] * n,
        list(weeks) * 2,
        list(range(n)) + list(range(100, 100 + n)),
    )
    return split_national(parse_google_trend(raw)), sundays


def test_alignments_on_a_year_end():
    (state, national), sundays = _weekly_trend("2012-12-02", 60)
    days = pd.date_range("2013-12-27", "2014-01-06")
    rows = add_datepart(pd.DataFrame({"State": pd.Series(["SN"] * len(days)), "Date": days}))
    correct = join_trend(rows, state, national, "google_week")
    lesson = join_trend(rows, state, national, "fastai")
    week_of = {sunday.strftime("%Y-%m-%d"): i for i, sunday in enumerate(sundays)}
    # each day gets the week holding it...
    want = [week_of[s] for s in containing_week_start(rows["Date"], 6).dt.strftime("%Y-%m-%d")]
    assert correct["trend"].tolist() == want
    assert correct["trend_DE"].tolist() == [w + 100 for w in want]
    # ...the lesson's keys give Mon..Sat the next week, and 2013-12-30/31 (2013, ISO week 1)
    # the week of 2013-01-06
    by_day = dict(zip(days.strftime("%m-%d"), lesson["trend"], strict=True))
    assert by_day["12-27"] == week_of["2013-12-29"]  # Friday: one week late
    assert by_day["12-29"] == week_of["2013-12-29"]  # Sunday: right
    assert by_day["12-30"] == week_of["2013-01-06"]  # a year off
    assert by_day["12-31"] == week_of["2013-01-06"]
    assert by_day["01-01"] == week_of["2014-01-05"]  # 2014, week 1 -> next week
    assert by_day["01-05"] == week_of["2014-01-05"]


def test_lesson_alignment_is_the_lessons_merge():
    """fastai mode equals the notebook's merge on (State, Year, Week) and (Year, Week)."""
    tables = make_tables(seed=5)
    train, _ = build_feature_tables(tables, "fastai")
    trend = tables["googletrend"].copy()
    trend["Date"] = pd.to_datetime(trend["week"].str.split(" - ", expand=True)[0])
    trend["State"] = trend["file"].str.split("_", expand=True)[2]
    trend.loc[trend["State"] == "NI", "State"] = "HB,NI"
    trend["Year"] = trend["Date"].dt.year
    trend["Week"] = trend["Date"].dt.isocalendar().week.astype(np.int64)
    trend_de = trend[trend["file"] == "Rossmann_DE"]
    lesson = train[["State", "Year", "Week"]].merge(
        trend[["State", "Year", "Week", "trend"]], "left", ["State", "Year", "Week"]
    )
    lesson = lesson.merge(
        trend_de[["Year", "Week", "trend"]], "left", ["Year", "Week"], suffixes=("", "_DE")
    )
    assert lesson["trend"].tolist() == train["trend"].tolist()
    assert lesson["trend_DE"].tolist() == train["trend_DE"].tolist()


def test_lesson_alignment_rejects_ambiguous_weeks():
    # 2012-01-01 and 2012-12-30 are both Sundays of "2012, ISO week 52"
    (state, national), _ = _weekly_trend("2012-01-01", 53)
    rows = add_datepart(pd.DataFrame({"State": ["SN"], "Date": pd.to_datetime(["2012-06-01"])}))
    with pytest.raises(JoinError, match="duplicated keys"):
        join_trend(rows, state, national, "fastai")
    assert len(join_trend(rows, state, national, "google_week")) == 1


def test_unknown_alignment():
    (state, national), _ = _weekly_trend("2013-01-06", 3)
    rows = add_datepart(pd.DataFrame({"State": ["SN"], "Date": pd.to_datetime(["2013-01-07"])}))
    with pytest.raises(ValueError, match="trend_alignment"):
        join_trend(rows, state, national, "iso")
