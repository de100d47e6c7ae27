"""The inference pipeline that the served MLflow model runs: ``rossmann_data``'s own nodes.

Raw test-format rows -> the test table's validation (:func:`~.inference.check_request`) ->
their event features and recent sales levels over the carried history
(:func:`~.inference.request_events`, :func:`~.inference.request_recent_sales`) ->
``rossmann_data``'s test branch (:func:`~l6pipeline.pipelines.rossmann_data.pipeline.
feature_branch`), remapped onto the request with ``kedro.pipeline.pipeline(inputs=, outputs=,
namespace=)`` -> the fitted processors and the model (:func:`~.inference.predict_request`) ->
``Id, Sales``. Its inputs besides the request are the training run's own datasets, under their
catalog names, and ``rossmann_data``'s parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from kedro.pipeline import Node, Pipeline, pipeline

from l6pipeline.pipelines.in_memory import run_in_memory
from l6pipeline.pipelines.rossmann_data.pipeline import ALIGNMENT, RECENT, WINDOW, feature_branch
from l6pipeline.rossmann.features.events import WINDOW_ROWS
from l6pipeline.serving import inference

#: The inference pipeline's input that the model's user provides.
REQUEST = "rossmann_request"
ROWS = "rossmann_request_rows"
EVENTS = "rossmann_request_events"
RECENT_SALES = "rossmann_request_recent_sales"
FEATURES = "rossmann_request_features"
PREDICTIONS = "rossmann_request_predictions"


def request_feature_pipeline() -> Pipeline:
    """Validated request rows -> their feature table, by the training chain's own nodes."""
    events = Node(
        inference.request_events,
        [ROWS, "rossmann_event_history", WINDOW],
        EVENTS,
        name="request_events",
    )
    recent = Node(
        inference.request_recent_sales,
        [ROWS, "rossmann_event_history", RECENT],
        RECENT_SALES,
        name="request_recent_sales",
    )
    branch = feature_branch("test")
    renamed = {
        "rossmann_test_by_store": ROWS,
        "rossmann_events": EVENTS,
        "rossmann_recent_sales": RECENT_SALES,
    }
    params = {name for name in branch.inputs() if name.startswith("params:")}
    carried = {name: name for name in branch.inputs() - params if name not in renamed}
    features = pipeline(
        branch,
        inputs={**renamed, **carried},
        outputs={"rossmann_test_features": FEATURES},
        parameters=params,  # rossmann_data's own, not namespaced
        namespace="request",
    )
    return Pipeline([events, recent, features])


def create_inference_pipeline() -> Pipeline:
    """The whole served pipeline: request -> ``Id, Sales`` (one free output, as
    kedro-mlflow's ``KedroPipelineModel`` requires)."""
    check = Node(
        inference.check_request,
        [
            REQUEST,
            "rossmann_store",
            "rossmann_weather",
            "rossmann_trend_state",
            "rossmann_trend_national",
        ],
        ROWS,
        name="check_request",
    )
    predict = Node(
        inference.predict_request,
        [FEATURES, ROWS, "rossmann_processors", "rossmann_model"],
        PREDICTIONS,
        name="predict_request",
    )
    return Pipeline([check, request_feature_pipeline(), predict])


def request_features(
    rows: pd.DataFrame,
    carried: Mapping[str, pd.DataFrame],
    alignment: str = "google_week",
    window: int = WINDOW_ROWS,
    recent_sales: Mapping | None = None,
) -> pd.DataFrame:
    """The feature table of validated request ``rows``: :func:`request_feature_pipeline` run in
    memory on the ``carried`` tables (catalog name -> table: ``rossmann_store``,
    ``rossmann_weather``, ``rossmann_trend_state``, ``rossmann_trend_national``,
    ``rossmann_event_history``) with ``rossmann_data``'s parameters."""
    inputs = {
        **carried,
        ROWS: rows,
        ALIGNMENT: alignment,
        WINDOW: window,
        RECENT: dict(recent_sales or {}),  # {}: RecentSalesConfig's defaults
    }
    with inference.tables_cover_request():
        return run_in_memory(request_feature_pipeline(), inputs)[FEATURES]
