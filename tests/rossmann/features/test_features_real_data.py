"""The feature tables on the real Kaggle + fast.ai files (skipped when absent, tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l6pipeline.pipelines.rossmann_data import build_feature_tables
from l6pipeline.rossmann.features.events import event_feature_columns
from l6pipeline.rossmann.features.recent import recent_sales_columns
from l6pipeline.rossmann.raw.csv_files import read_raw_csv
from l6pipeline.rossmann.raw.schemas import NULLABLE, TABLES, file_name
from l6pipeline.rossmann.raw.validation import validate_tables
from tests.conftest import require_real_rossmann

from .lesson_port import lesson_tables

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def validated() -> dict[str, pd.DataFrame]:
    folder = require_real_rossmann()
    raw = {table: read_raw_csv(folder / file_name(table)) for table in TABLES}
    return validate_tables(raw)


@pytest.fixture(scope="module")
def features(validated):
    return build_feature_tables(validated)


def test_one_training_row_per_nonzero_sales_row(validated, features):
    train, test = features
    sales = validated["train"]["Sales"]
    assert len(train) == int((sales != 0).sum())
    # the same rows, in the file's order
    kept = validated["train"].loc[sales != 0, ["Store", "Date"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(train[["Store", "Date"]], kept)
    assert len(test) == len(validated["test"])
    assert test["Id"].tolist() == validated["test"]["Id"].tolist()


def test_no_unexpected_nulls(features):
    # Nulls only where the source tables may have them (store and weather gaps, test Open).
    # ... and the recent sales levels where a store has no sale in a span (its first year),
    # or fewer than four sales on a weekday with a promo state before the lag.
    recent = {c for c in features[0].columns if c.startswith("RecentSales")}
    recent.add("StoreDayPromoSales")
    allowed = NULLABLE["store"] | NULLABLE["weather"] | NULLABLE["test"] | recent
    for frame in features:
        with_nulls = set(frame.columns[frame.isna().any()])
        assert with_nulls <= allowed, with_nulls - allowed
        for col in ("State", "StoreType", "trend", "trend_DE", "Mean_TemperatureC"):
            assert frame[col].notna().all(), col
        assert frame[event_feature_columns()].notna().all().all()


def test_nulls_in_joined_columns_come_from_the_source(validated, features):
    train, _ = features
    weather = validated["weather"]
    for col in ("CloudCover", "Events", "Max_Gust_SpeedKm_h"):
        # a row has a null iff its state's weather that day had one
        names = validated["state_names"].set_index("State")["StateName"]
        source = weather.set_index(["file", "Date"])[col].isna()
        keys = pd.MultiIndex.from_arrays([train["State"].map(names), train["Date"]])
        assert (train[col].isna().to_numpy() == source.reindex(keys).to_numpy()).all(), col


def test_sanity_of_feature_values(features):
    train, test = features
    assert set(train["State"]) == {
        "BE", "BW", "BY", "HB,NI", "HE", "HH", "NW", "RP", "SH", "SN", "ST", "TH"
    }  # fmt: skip
    for frame in (train, test):
        assert frame["CompetitionMonthsOpen"].between(0, 24).all()
        assert frame["Promo2Weeks"].between(0, 25).all()
        assert (frame[[c for c in frame if c.startswith("After")]] >= 0).all().all()
        assert (frame[[c for c in frame if c.startswith("Before")]] <= 0).all().all()
        assert frame[[c for c in frame if c.endswith(("_bw", "_fw"))]].isin(range(8)).all().all()
    # Promo is on for whole weeks: most promo days sit in a window full of promo days
    assert train.loc[train["Promo"] == 1, "Promo_bw"].median() >= 3


def test_google_week_alignment_differs_from_the_lessons(validated, features):
    train, _ = features
    lesson, _ = build_feature_tables(validated, "fastai")
    changed = (lesson["trend"] != train["trend"]).to_numpy()
    sunday = (train["Dayofweek"] == 6).to_numpy()
    # Sundays are aligned alike by both (except around New Year); weekdays mostly differ
    assert changed[sunday].mean() < 0.1
    assert changed[~sunday].mean() > 0.5
    untouched = [c for c in train.columns if c not in ("trend", "trend_DE")]
    pd.testing.assert_frame_equal(lesson[untouched], train[untouched])


@pytest.mark.slow
def test_fastai_alignment_reproduces_the_lesson_notebook(validated):
    """On every 40th store: the lesson's code and ours give the same values (28 stores)."""
    stores = set(range(1, 1116, 40))
    subset = {
        name: frame[frame["Store"].isin(stores)].reset_index(drop=True)
        if name in ("train", "test")
        else frame
        for name, frame in validated.items()
    }
    ours = build_feature_tables(subset, "fastai")
    lesson = lesson_tables(subset)
    for mine, theirs in zip(ours, lesson, strict=True):
        assert len(mine) == len(theirs)
        # every column of the lesson's; the recent sales levels and the winners' event
        # columns (closures, reopening, holiday weeks) are ours alone
        lesson_events = {c for c in event_feature_columns() if c in theirs.columns}
        assert {c for c in mine.columns if c not in theirs.columns} == set(
            recent_sales_columns((28, 91, 365))
        ) | (set(event_feature_columns()) - lesson_events)
        assert len(lesson_events) == 12  # After/Before/_bw/_fw of the lesson's three events
        for col in theirs.columns.intersection(mine.columns):
            got, want = mine[col], theirs[col].reset_index(drop=True)
            if pd.api.types.is_datetime64_any_dtype(got):
                want = pd.to_datetime(want).astype(got.dtype)
            elif got.dtype in (np.dtype(np.int64), np.dtype(bool)):
                want = want.astype(got.dtype)
            pd.testing.assert_series_equal(got, want, check_names=False, obj=col)
