"""A faithful port of the lesson notebook (fast.ai course-v3 ``rossman_data_clean.ipynb``).

The notebook's steps in its order, with its per-row loop (``get_elapsed``), its
``apply(axis=1)`` for the Promo2 Monday and its suffix-and-drop joins. Only what no longer runs
on current pandas is modernised (``dt.isocalendar().week`` for ``dt.week``, ``day_of_week``, ``pd.concat`` for
``append``, keyword ``drop``, the rolling sum per store, ``date.fromisocalendar`` for the
``isoweek`` package, ``*_y`` columns dropped before the next join rather than at the end).
Used as an oracle (the ``fastai`` trend alignment must agree with it on the
real data) and as the slow baseline of ``benchmarks/bench_features.py``.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd


def join_df(left, right, left_on, right_on=None, suffix="_y"):
    if right_on is None:
        right_on = left_on
    # Current pandas refuses a second ``Month_y`` etc.; the notebook drops them all at the end.
    left = left.drop(columns=[c for c in left.columns if c.endswith(suffix)])
    return left.merge(right, how="left", left_on=left_on, right_on=right_on, suffixes=("", suffix))


def add_datepart(df, fldname, drop=True):
    fld = df[fldname]
    if not pd.api.types.is_datetime64_any_dtype(fld):
        df[fldname] = fld = pd.to_datetime(fld)
    targ_pre = re.sub("[Dd]ate$", "", fldname)
    for n, attr in (
        ("Year", "year"),
        ("Month", "month"),
        ("Day", "day"),
        ("Dayofweek", "day_of_week"),
        ("Dayofyear", "day_of_year"),
    ):
        df[targ_pre + n] = getattr(fld.dt, attr)
    df[targ_pre + "Week"] = fld.dt.isocalendar().week.astype(np.int64)
    for n in (
        "Is_month_end",
        "Is_month_start",
        "Is_quarter_end",
        "Is_quarter_start",
        "Is_year_end",
        "Is_year_start",
    ):
        df[targ_pre + n] = getattr(fld.dt, n.lower())
    df[targ_pre + "Elapsed"] = fld.astype("datetime64[ns]").astype(np.int64) // 10**9
    if drop:
        df.drop(fldname, axis=1, inplace=True)


def get_elapsed(df, fld, pre):
    day1 = np.timedelta64(1, "D")
    last_date = np.datetime64()
    last_store = 0
    res = []
    for s, v, d in zip(df.Store.values, df[fld].values, df.Date.values, strict=True):
        if s != last_store:
            last_date = np.datetime64()
            last_store = s
        if v:
            last_date = d
        res.append((d - last_date).astype("timedelta64[D]") / day1)
    df[pre + fld] = res


def lesson_tables(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train_clean, test_clean) as the notebook builds them, junk columns included."""
    train, store, store_states, state_names, googletrend, weather, test = (
        tables[name].copy()
        for name in (
            "train",
            "store",
            "store_states",
            "state_names",
            "googletrend",
            "weather",
            "test",
        )
    )
    train.StateHoliday = train.StateHoliday != "0"
    test.StateHoliday = test.StateHoliday != "0"

    weather = join_df(weather, state_names, "file", "StateName")
    googletrend["Date"] = googletrend.week.str.split(" - ", expand=True)[0]
    googletrend["State"] = googletrend.file.str.split("_", expand=True)[2]
    googletrend.loc[googletrend.State == "NI", "State"] = "HB,NI"

    add_datepart(weather, "Date", drop=False)
    add_datepart(googletrend, "Date", drop=False)
    add_datepart(train, "Date", drop=False)
    add_datepart(test, "Date", drop=False)

    trend_de = googletrend[googletrend.file == "Rossmann_DE"]

    store = join_df(store, store_states, "Store")
    assert len(store[store.State.isnull()]) == 0
    joined = join_df(train, store, "Store")
    joined_test = join_df(test, store, "Store")
    assert len(joined[joined.StoreType.isnull()]) == 0
    assert len(joined_test[joined_test.StoreType.isnull()]) == 0
    joined = join_df(joined, googletrend, ["State", "Year", "Week"])
    joined_test = join_df(joined_test, googletrend, ["State", "Year", "Week"])
    assert len(joined[joined.trend.isnull()]) == 0
    assert len(joined_test[joined_test.trend.isnull()]) == 0
    joined = joined.merge(trend_de, "left", ["Year", "Week"], suffixes=("", "_DE"))
    joined_test = joined_test.merge(trend_de, "left", ["Year", "Week"], suffixes=("", "_DE"))
    assert len(joined[joined.trend_DE.isnull()]) == 0
    assert len(joined_test[joined_test.trend_DE.isnull()]) == 0
    joined = join_df(joined, weather, ["State", "Date"])
    joined_test = join_df(joined_test, weather, ["State", "Date"])
    assert len(joined[joined.Mean_TemperatureC.isnull()]) == 0
    assert len(joined_test[joined_test.Mean_TemperatureC.isnull()]) == 0
    joined, joined_test = (
        df.drop(columns=[c for c in df.columns if c.endswith("_y")]) for df in (joined, joined_test)
    )

    for df in (joined, joined_test):
        df["CompetitionOpenSinceYear"] = df.CompetitionOpenSinceYear.fillna(1900).astype(np.int32)
        df["CompetitionOpenSinceMonth"] = df.CompetitionOpenSinceMonth.fillna(1).astype(np.int32)
        df["Promo2SinceYear"] = df.Promo2SinceYear.fillna(1900).astype(np.int32)
        df["Promo2SinceWeek"] = df.Promo2SinceWeek.fillna(1).astype(np.int32)
    for df in (joined, joined_test):
        df["CompetitionOpenSince"] = pd.to_datetime(
            dict(year=df.CompetitionOpenSinceYear, month=df.CompetitionOpenSinceMonth, day=15)
        )
        df["CompetitionDaysOpen"] = df.Date.subtract(df.CompetitionOpenSince).dt.days
    for df in (joined, joined_test):
        df.loc[df.CompetitionDaysOpen < 0, "CompetitionDaysOpen"] = 0
        df.loc[df.CompetitionOpenSinceYear < 1990, "CompetitionDaysOpen"] = 0
    for df in (joined, joined_test):
        df["CompetitionMonthsOpen"] = df["CompetitionDaysOpen"] // 30
        df.loc[df.CompetitionMonthsOpen > 24, "CompetitionMonthsOpen"] = 24
    for df in (joined, joined_test):
        df["Promo2Since"] = pd.to_datetime(
            df.apply(
                lambda x: (
                    dt.date.fromisocalendar(x.Promo2SinceYear, 1, 1)
                    + dt.timedelta(weeks=int(x.Promo2SinceWeek) - 1)
                ),
                axis=1,
            )
        )
        df["Promo2Days"] = df.Date.subtract(df["Promo2Since"]).dt.days
    for df in (joined, joined_test):
        df.loc[df.Promo2Days < 0, "Promo2Days"] = 0
        df.loc[df.Promo2SinceYear < 1990, "Promo2Days"] = 0
        df["Promo2Weeks"] = df["Promo2Days"] // 7
        df.loc[df.Promo2Weeks < 0, "Promo2Weeks"] = 0
        df.loc[df.Promo2Weeks > 25, "Promo2Weeks"] = 25

    columns = ["Date", "Store", "Promo", "StateHoliday", "SchoolHoliday"]
    df = pd.concat([train[columns], test[columns]])
    for fld in ("SchoolHoliday", "StateHoliday", "Promo"):
        df = df.sort_values(["Store", "Date"])
        get_elapsed(df, fld, "After")
        df = df.sort_values(["Store", "Date"], ascending=[True, False])
        get_elapsed(df, fld, "Before")
    df = df.set_index("Date")
    columns = ["SchoolHoliday", "StateHoliday", "Promo"]
    for o in ["Before", "After"]:
        for p in columns:
            a = o + p
            df[a] = df[a].fillna(0).astype(int)
    counts = df[["Store", *columns]].astype({"StateHoliday": float})
    bwd = counts.sort_index().groupby("Store")[columns].rolling(7, min_periods=1).sum()
    fwd = (
        counts.sort_index(ascending=False).groupby("Store")[columns].rolling(7, min_periods=1).sum()
    )
    bwd = bwd.reset_index()
    fwd = fwd.reset_index()
    df = df.reset_index()
    df = df.merge(bwd, "left", ["Date", "Store"], suffixes=["", "_bw"])
    df = df.merge(fwd, "left", ["Date", "Store"], suffixes=["", "_fw"])
    df = df.drop(columns=columns)

    joined = join_df(joined, df, ["Store", "Date"])
    joined_test = join_df(joined_test, df, ["Store", "Date"])
    joined = joined[joined.Sales != 0]
    joined = joined.reset_index()
    joined_test = joined_test.reset_index()
    return joined, joined_test
