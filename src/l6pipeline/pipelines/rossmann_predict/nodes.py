"""Kedro adapters: the inference pipeline's nodes (run inside the MLflow model) and the batch
prediction node (run by ``kedro run --pipelines rossmann_predict``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException

from l6pipeline.params import known_params
from l6pipeline.rossmann.validation import validate_table
from l6pipeline.serving import inference

logger = logging.getLogger(__name__)

#: The name the served model is logged under in each ``rossmann_model`` run.
MODEL_NAME = "rossmann_pipeline"


# -- inference pipeline (inside the MLflow model) ------------------------------------------------


def check_request(
    request: pd.DataFrame,
    store: pd.DataFrame,
    weather: pd.DataFrame,
    state_trend: pd.DataFrame,
    national_trend: pd.DataFrame,
) -> pd.DataFrame:
    """Validate the rows as ingest validates test.csv, against the stores and days carried."""
    coverage = inference.date_coverage(weather, state_trend, national_trend)
    return inference.validate_request(request, store, coverage)


def build_request_features(
    rows: pd.DataFrame,
    store: pd.DataFrame,
    state_trend: pd.DataFrame,
    national_trend: pd.DataFrame,
    weather: pd.DataFrame,
    history: pd.DataFrame,
    data_params: Mapping,
) -> pd.DataFrame:
    """``rossmann_data``'s row-wise feature chain on the request, with the carried tables."""
    tables = {
        "store": store,
        "state_trend": state_trend,
        "national_trend": national_trend,
        "weather": weather,
    }
    return inference.request_features(
        rows,
        tables,
        history,
        data_params["trend_alignment"],
        data_params["event_window_rows"],
    )


def predict_request(
    features: pd.DataFrame, rows: pd.DataFrame, processors: dict, model
) -> pd.DataFrame:
    """Processors, then the model: ``Id, Sales`` in request order (closed days sell 0)."""
    return inference.predict_request(features, rows, processors, model)


# -- batch pipeline ----------------------------------------------------------------------------


def latest_model_uri(name: str = MODEL_NAME) -> str:
    """``models:/<id>`` of the newest model logged under ``name``.

    Searched in the active run's experiment (under ``kedro run``, this project's), else in all.
    """
    run = mlflow.active_run()
    if run is not None:
        experiments = [run.info.experiment_id]
    else:
        experiments = [experiment.experiment_id for experiment in mlflow.search_experiments()]
    found = mlflow.search_logged_models(
        experiment_ids=experiments,
        filter_string=f"name = '{name}'",
        order_by=[{"field_name": "creation_time", "ascending": False}],
        max_results=1,
        output_format="list",
    )
    if not found:
        raise ValueError(
            f"no MLflow model named {name!r} in the tracking store {mlflow.get_tracking_uri()}: "
            "train one with `kedro run --pipelines rossmann_model`, or set the parameter "
            "rossmann_predict.model_uri (e.g. --params rossmann_predict.model_uri=runs:/<id>/"
            f"{name})"
        )
    return f"models:/{found[0].model_id}"


def predict_file(raw_rows: pd.DataFrame, params: Mapping) -> pd.DataFrame:
    """Parse a raw test-format file (errors name file lines), predict it with the MLflow model."""
    params = known_params(params, ("model_uri", "model_name"), "rossmann_predict")
    rows = validate_table("test", raw_rows).set_index(raw_rows.index)  # keep the file lines
    uri = params.get("model_uri") or latest_model_uri(params.get("model_name", MODEL_NAME))
    logger.info("predicting %d rows with the MLflow model %s", len(rows), uri)
    if mlflow.active_run() is not None:
        mlflow.set_tag("rossmann_predict.model_uri", uri)
    model = mlflow.pyfunc.load_model(uri)
    try:
        return model.predict(inference.serving_frame(rows))
    except MlflowException as error:
        raise inference.ServingInputError(_with_lines(error.message, rows.index)) from None


def _with_lines(message: str, lines: pd.Index) -> str:
    """The served model names rows by position (``index 3``); here they have file lines."""
    return re.sub(r"\(index (\d+)\)", lambda m: f"(line {lines[int(m.group(1))]})", message)
