"""The served request path on raw rows: the features of any request equal the training-time
feature tables (the row steps themselves, no Kedro runner), predictions keep request order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l6pipeline.rossmann.features.chain import ROW_STEPS
from l6pipeline.rossmann.model.processors import TabularProcessor
from l6pipeline.rossmann.model.train import predict_sales
from l6pipeline.rossmann.serving import inference
from tests.rossmann.serving.conftest import DATA_PARAMS


def features_of(rows: pd.DataFrame, served: inference.ServedPipeline) -> pd.DataFrame:
    return served.features(served.check(rows))


def test_the_whole_test_table_gets_the_training_runs_test_features(
    served, test_rows, feature_tables
):
    _, expected = feature_tables
    got = features_of(test_rows, served)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_any_subset_of_test_rows_gets_the_same_features(served, tables, feature_tables, data):
    """Event windows look at the carried history, not at the other rows of the request."""
    _, expected = feature_tables
    n = len(tables["test"])
    picked = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=20, unique=True))
    request = inference.serving_frame(tables["test"]).iloc[picked]
    got = features_of(request, served)
    want = expected.iloc[picked]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


def test_a_past_day_gets_the_features_it_had_in_training(served, tables, feature_tables):
    train_features, _ = feature_tables
    past = tables["train"].loc[tables["train"]["Sales"] != 0].sample(30, random_state=1)
    request = inference.serving_frame(past.assign(Id=np.arange(1, 31), Open=1.0))
    got = features_of(request, served)
    want = train_features.set_index(["Store", "Date"]).loc[
        list(zip(past["Store"], past["Date"], strict=True))
    ]
    for column in ["trend", "Max_TemperatureC", "AfterPromo", "BeforeSchoolHoliday", "Promo_fw"]:
        np.testing.assert_array_equal(got[column].to_numpy(), want[column].to_numpy(), column)


def test_a_request_row_replaces_the_history_of_its_day(served, tables, feature_tables):
    """A promo announced for a test day changes that day's and its neighbours' windows."""
    test = tables["test"]
    store = test["Store"].iloc[0]
    days = test.loc[test["Store"] == store].sort_values("Date")
    changed = days.assign(Promo=1 - days["Promo"])
    got = features_of(inference.serving_frame(changed), served)
    _, expected = feature_tables
    before = expected.loc[days.index]
    assert (got["Promo"].to_numpy() != before["Promo"].to_numpy()).all()
    assert (got["Promo_fw"].to_numpy() != before["Promo_fw"].to_numpy()).any()


def test_predictions_equal_the_training_features_through_the_same_model(
    served, test_rows, feature_tables, small_model
):
    """The served answer of the test rows = processors + network on the batch feature table
    + the submission rule, in request order (shuffled here)."""
    processors, model = small_model
    _, features = feature_tables
    expected = predict_sales(model, TabularProcessor.from_dict(processors).transform(features))
    expected = np.where(test_rows["Open"].eq(0), 0.0, expected)
    order = np.random.default_rng(0).permutation(len(test_rows))
    got = served.predict(test_rows.iloc[order])
    assert got["Id"].tolist() == test_rows["Id"].iloc[order].tolist()
    np.testing.assert_allclose(got["Sales"].to_numpy(), expected[order], rtol=1e-6)


def test_closed_days_sell_zero_and_a_row_does_not_depend_on_the_others(served, test_rows):
    rows = test_rows.sample(25, random_state=3).assign(Open=1.0)
    rows.loc[rows.index[:4], "Open"] = 0.0
    got = served.predict(rows)
    assert (got["Sales"].iloc[:4] == 0).all() and (got["Sales"].iloc[4:] > 0).all()
    one = served.predict(rows.iloc[[7]])
    assert one["Sales"].iloc[0] == pytest.approx(got["Sales"].iloc[7], rel=1e-6)


def test_the_model_carries_every_table_a_row_step_reads_but_the_per_request_ones():
    read = {name for step in ROW_STEPS for name in step.tables if not name.startswith("params:")}
    assert set(inference.carried_tables()) == read - set(inference.REQUEST_TABLES)
    assert set(inference.REQUEST_TABLES) <= read


def test_a_served_pipeline_without_a_row_steps_table_is_refused_at_load(carried, small_model):
    processors, model = small_model
    tables = dict(carried["tables"])
    del tables["rossmann_weather"]
    with pytest.raises(ValueError, match="rossmann_weather"):
        inference.ServedPipeline(model, processors, tables, carried["history"], DATA_PARAMS)


def test_store_history_finds_each_stores_rows(carried):
    history = inference.StoreHistory(carried["history"])
    stores = carried["history"]["Store"].unique()
    for picked in ([stores[0]], [stores[-1], stores[1]], [10_000], []):
        got = history.of(np.array(picked, dtype=np.int64))
        want = carried["history"][carried["history"]["Store"].isin(picked)]
        assert sorted(got["Store"].tolist()) == sorted(want["Store"].tolist())
        assert not got.duplicated(["Store", "Date"]).any()


def test_event_history_holds_every_train_and_test_day(tables):
    history = inference.event_history(tables["train"], tables["test"])
    assert len(history) == len(tables["train"]) + len(tables["test"])
    assert not history.duplicated(["Store", "Date"]).any()
    assert set(inference.INPUT_COLUMNS) - {"Id"} <= set(history.columns)


def test_date_coverage_is_where_weather_and_both_trends_overlap(served, carried):
    tables = carried["tables"]
    weather = tables["rossmann_weather"]
    first, last = served.coverage
    assert first >= weather["Date"].min() and last <= weather["Date"].max()
    for trend in (tables["rossmann_trend_state"], tables["rossmann_trend_national"]):
        assert first >= trend["Date"].min() and last <= trend["WeekEnd"].max()
    assert first in set(weather["Date"]) and last in set(weather["Date"])
