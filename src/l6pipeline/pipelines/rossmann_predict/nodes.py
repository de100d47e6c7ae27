"""Kedro adapter of ``rossmann_predict``: a raw file predicted by a logged MLflow model."""

from __future__ import annotations

import logging

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException

from l6pipeline.core.errors import UserInputError
from l6pipeline.core.params import takes_configs
from l6pipeline.rossmann.raw.validation import validate_table
from l6pipeline.rossmann.serving import inference
from l6pipeline.rossmann.serving.mlflow_model import MODEL_NAME, PredictSettings

logger = logging.getLogger(__name__)


class NoModelError(UserInputError):
    """No MLflow model of the asked name in the tracking store: train one, or name another."""


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
        raise NoModelError(
            f"no MLflow model named {name!r} in the tracking store {mlflow.get_tracking_uri()}: "
            "train one with `kedro run --pipelines rossmann_model`, or set the parameter "
            "rossmann_predict.model_uri (e.g. --params rossmann_predict.model_uri=runs:/<id>/"
            f"{name})"
        )
    return f"models:/{found[0].model_id}"


@takes_configs
def predict_file(raw_rows: pd.DataFrame, settings: PredictSettings) -> pd.DataFrame:
    """Parse a raw test-format file (errors name file lines), predict it with the MLflow model.

    The file passes ingest's validation of test.csv, then the model's own input contract (the
    same declarations, plus the stores and days the model carries); both name the file's lines.
    """
    rows = validate_table("test", raw_rows).set_index(raw_rows.index)  # keep the file lines
    uri = settings.model_uri or latest_model_uri(settings.model_name)
    logger.info("predicting %d rows with the MLflow model %s", len(rows), uri)
    if mlflow.active_run() is not None:
        mlflow.set_tag("rossmann_predict.model_uri", uri)
    try:
        model = mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as error:
        raise NoModelError(
            f"cannot load the MLflow model {uri!r} (parameter rossmann_predict.model_uri): "
            f"{getattr(error, 'message', error)}. Give a models:/<id> or runs:/<run id>/"
            f"{MODEL_NAME} URI of this tracking store ({mlflow.get_tracking_uri()}), or leave "
            "model_uri unset for the newest model"
        ) from None
    try:
        return model.predict(inference.serving_frame(rows))
    except MlflowException as error:
        raise inference.ServingInputError(error.message) from None
