"""Serving on raw rows: the features of any request equal the training-time feature tables,
and bad rows are refused with the row, the column and the value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from l6pipeline.pipelines.rossmann_data.pipeline import build_feature_tables, run_feature_pipeline
from l6pipeline.rossmann.synthetic import generate_rossmann
from l6pipeline.rossmann.validation import validate_tables
from l6pipeline.serving import inference
from l6pipeline.serving.pipeline import request_features
from l6pipeline.tabular.processors import TabularProcessor
from l6pipeline.tabular.train import ModelConfig, build_model
from tests.rossmann.conftest import SMALL_PARAMS

SHARED_TABLES = (
    "rossmann_store",
    "rossmann_weather",
    "rossmann_trend_state",
    "rossmann_trend_national",
)
CAT_VARS = ["Store", "DayOfWeek", "StateHoliday", "StoreType", "Promo_fw", "State"]
CONT_VARS = ["CompetitionDistance", "Max_TemperatureC", "trend", "AfterStateHoliday", "Promo"]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return validate_tables(generate_rossmann(SMALL_PARAMS))


@pytest.fixture(scope="module")
def carried(tables) -> dict:
    """What the served model carries, from the validated tables."""
    shared = run_feature_pipeline(tables, SHARED_TABLES)
    history = inference.event_history(tables["train"], tables["test"])
    return {
        "catalog": {**shared, "rossmann_event_history": history},
        "tables": {
            "store": shared["rossmann_store"],
            "state_trend": shared["rossmann_trend_state"],
            "national_trend": shared["rossmann_trend_national"],
            "weather": shared["rossmann_weather"],
        },
        "history": history,
        "coverage": inference.date_coverage(
            shared["rossmann_weather"],
            shared["rossmann_trend_state"],
            shared["rossmann_trend_national"],
        ),
    }


@pytest.fixture(scope="module")
def feature_tables(tables) -> tuple[pd.DataFrame, pd.DataFrame]:
    return build_feature_tables(tables)


def features_of(rows: pd.DataFrame, carried: dict) -> pd.DataFrame:
    checked = inference.validate_request(rows, carried["tables"]["store"], carried["coverage"])
    return request_features(checked, carried["catalog"])


def test_the_whole_test_table_gets_the_training_runs_test_features(tables, carried, feature_tables):
    _, expected = feature_tables
    got = features_of(inference.serving_frame(tables["test"]), carried)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_any_subset_of_test_rows_gets_the_same_features(tables, carried, feature_tables, data):
    """Event windows look at the carried history, not at the other rows of the request."""
    _, expected = feature_tables
    n = len(tables["test"])
    picked = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=20, unique=True))
    request = inference.serving_frame(tables["test"]).iloc[picked]
    got = features_of(request, carried)
    want = expected.iloc[picked]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


def test_a_past_day_gets_the_features_it_had_in_training(tables, carried, feature_tables):
    train_features, _ = feature_tables
    past = tables["train"].loc[tables["train"]["Sales"] != 0].sample(30, random_state=1)
    request = inference.serving_frame(past.assign(Id=np.arange(1, 31), Open=1.0))
    got = features_of(request, carried)
    want = train_features.set_index(["Store", "Date"]).loc[
        list(zip(past["Store"], past["Date"], strict=True))
    ]
    for column in ["trend", "Max_TemperatureC", "AfterPromo", "BeforeSchoolHoliday", "Promo_fw"]:
        np.testing.assert_array_equal(got[column].to_numpy(), want[column].to_numpy(), column)


def test_a_request_row_replaces_the_history_of_its_day(tables, carried, feature_tables):
    """A promo announced for a test day changes that day's and its neighbours' windows."""
    test = tables["test"]
    store = test["Store"].iloc[0]
    days = test.loc[test["Store"] == store].sort_values("Date")
    changed = days.assign(Promo=1 - days["Promo"])
    got = features_of(inference.serving_frame(changed), carried)
    _, expected = feature_tables
    before = expected.loc[days.index]
    assert (got["Promo"].to_numpy() != before["Promo"].to_numpy()).all()
    assert (got["Promo_fw"].to_numpy() != before["Promo_fw"].to_numpy()).any()


def _message(excinfo) -> str:
    return str(excinfo.value)


def test_unknown_store_and_far_date_are_refused_with_row_column_and_value(tables, carried):
    rows = inference.serving_frame(tables["test"].head(6))
    first, last = carried["coverage"]
    late = last + pd.Timedelta(days=10)
    rows.loc[2, "Store"] = 9999
    rows.loc[4, ["Date", "DayOfWeek"]] = [f"{late:%Y-%m-%d}", late.day_of_week + 1]
    with pytest.raises(inference.ServingInputError) as excinfo:
        features_of(rows, carried)
    message = _message(excinfo)
    assert "column 'Store'" in message and "9999 (index 2)" in message
    assert "column 'Date'" in message and f"{late:%Y-%m-%d} (index 4)" in message
    assert f"{first:%Y-%m-%d}..{last:%Y-%m-%d}" in message


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("StateHoliday", "x", "column 'StateHoliday'"),
        ("Promo", "yes", "column 'Promo': not a number: 'yes' (index 3)"),
        ("Date", "2015-13-01", "column 'Date': not a date"),
        ("Open", 2.0, "column 'Open'"),
    ],
)
def test_bad_codes_are_refused_with_row_and_column(tables, carried, column, value, expected):
    rows = inference.serving_frame(tables["test"].head(5)).astype({column: object})
    rows.loc[3, column] = value
    with pytest.raises(inference.ServingInputError) as excinfo:
        features_of(rows, carried)
    assert expected in _message(excinfo)
    assert "index 3" in _message(excinfo)


def test_a_missing_column_is_named(tables, carried):
    rows = inference.serving_frame(tables["test"].head(3)).drop(columns=["SchoolHoliday"])
    with pytest.raises(
        inference.ServingInputError, match=r"missing column\(s\) \['SchoolHoliday'\]"
    ):
        features_of(rows, carried)


def test_a_duplicated_store_day_is_refused(tables, carried):
    rows = inference.serving_frame(tables["test"].head(3))
    rows = pd.concat([rows, rows.head(1).assign(Id=10_000)], ignore_index=True)
    with pytest.raises(inference.ServingInputError, match="duplicate"):
        features_of(rows, carried)


@pytest.fixture(scope="module")
def small_model(feature_tables):
    train, _ = feature_tables
    processor = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    torch.manual_seed(0)
    config = ModelConfig(layers=(8,), ps=(0.0,), emb_drop=0.0)
    return processor.to_dict(), build_model(processor, float(train["Sales"].max()), config).eval()


def test_predictions_keep_request_order_and_closed_days_sell_zero(tables, carried, small_model):
    processors, model = small_model
    rows = inference.serving_frame(tables["test"].sample(25, random_state=3)).assign(Open=1.0)
    rows.loc[rows.index[:4], "Open"] = 0.0
    checked = inference.validate_request(rows, carried["tables"]["store"], carried["coverage"])
    features = request_features(checked, carried["catalog"])
    got = inference.predict_request(features, checked, processors, model)
    assert got["Id"].tolist() == rows["Id"].tolist()
    assert (got["Sales"].iloc[:4] == 0).all() and (got["Sales"].iloc[4:] > 0).all()
    # Each row's answer does not depend on the other rows of the request.
    one = inference.predict_request(features.iloc[[7]], checked.iloc[[7]], processors, model)
    assert one["Sales"].iloc[0] == pytest.approx(got["Sales"].iloc[7], rel=1e-6)


def test_event_history_holds_every_train_and_test_day(tables):
    history = inference.event_history(tables["train"], tables["test"])
    assert len(history) == len(tables["train"]) + len(tables["test"])
    assert not history.duplicated(["Store", "Date"]).any()


def test_date_coverage_is_where_weather_and_both_trends_overlap(carried):
    tables = carried["tables"]
    first, last = carried["coverage"]
    assert first >= tables["weather"]["Date"].min() and last <= tables["weather"]["Date"].max()
    for trend in (tables["state_trend"], tables["national_trend"]):
        assert first >= trend["Date"].min() and last <= trend["WeekEnd"].max()
    assert first in set(tables["weather"]["Date"]) and last in set(tables["weather"]["Date"])
