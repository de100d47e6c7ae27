"""The served model: the inference pipeline as kedro-mlflow's ``KedroPipelineModel``.

``rossmann_model`` logs it (:func:`log_pipeline_model`); ``rossmann_predict`` loads it by name
(:data:`MODEL_NAME`).

Why not ``pipeline_ml_factory``: its hook logs the model only when the pipeline being run *is*
the ``PipelineML`` object, and Kedro sums the pipelines of ``kedro run`` (default) and
``--pipelines rossmann_data,rossmann_model`` into a plain ``Pipeline`` (``PipelineML.__add__``
demotes it), so those training runs would log no model. Besides, the hook logs each input
dataset's ``_filepath``, which for our versioned ``rossmann_model`` / ``rossmann_processors``
is the folder of every version ever saved. So the ``log_model`` node of ``rossmann_model``
builds the same ``KedroPipelineModel`` itself, from this run's objects saved to a temporary
folder, and logs it with ``mlflow.pyfunc.log_model``: every training run logs one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from kedro.io import DataCatalog, MemoryDataset
from kedro_datasets.json import JSONDataset
from kedro_datasets.pandas import ParquetDataset
from kedro_datasets.pickle import PickleDataset
from kedro_mlflow.mlflow import KedroPipelineModel
from mlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from l6pipeline.params import ParameterError, known_params
from l6pipeline.serving.inference import INPUT_COLUMNS, ServingInputError, tables_cover_request
from l6pipeline.serving.pipeline import REQUEST, create_inference_pipeline

#: The name the served model is logged under in each ``rossmann_model`` run.
MODEL_NAME = "rossmann_pipeline"


@dataclass(frozen=True)
class PredictSettings:
    """The ``rossmann_predict`` parameters: which logged model predicts (and is logged as)."""

    model_uri: str | None = None  # e.g. models:/<id> or runs:/<run id>/rossmann_pipeline
    model_name: str = MODEL_NAME  # the name rossmann_model logs under; the newest one predicts

    def __post_init__(self) -> None:
        if self.model_uri is not None and not isinstance(self.model_uri, str):
            raise ParameterError("model_uri", "must be a model URI or null", self.model_uri)
        if not isinstance(self.model_name, str) or not self.model_name:
            raise ParameterError("model_name", "must be a non-empty name", self.model_name)

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> PredictSettings:
        return cls(**known_params(params, ("model_uri", "model_name"), "rossmann_predict"))


_MLFLOW_TYPES = {"int64": "long", "float64": "double", "str": "string", "datetime64[ns]": "string"}
SIGNATURE = ModelSignature(
    inputs=Schema(
        [
            ColSpec(_MLFLOW_TYPES[dtype], name, required=name != "Open")
            for name, dtype in INPUT_COLUMNS.items()
        ]
    ),
    outputs=Schema([ColSpec("long", "Id"), ColSpec("double", "Sales")]),
)
# Installed distributions the model needs besides l6pipeline itself (see docs/serving.md).
REQUIREMENTS = (
    "mlflow",
    "kedro",
    "kedro-mlflow",
    "kedro-datasets",
    "torch",
    "numpy",
    "pandas",
    "pyarrow",
    "pandera",
    "lightgbm",
)


class RossmannPipelineModel(KedroPipelineModel):
    """``KedroPipelineModel`` whose bad-input errors reach the client as an HTTP 400 message.

    MLflow's scoring server answers any other exception with a generic message; an
    ``MlflowException`` keeps ours (row, column, value).
    """

    def predict(self, context, model_input, params=None):
        try:
            with tables_cover_request():
                return super().predict(context, model_input, params)
        except ServingInputError as error:
            raise MlflowException(str(error), error_code=INVALID_PARAMETER_VALUE) from None


# The inference pipeline's parameters: ``rossmann_data``'s (``params:rossmann_data.<key>``).
DATA_PARAMS = "params:rossmann_data."
# The carried tables, saved as ``<name>.parquet`` (catalog name: ``rossmann_<name>``).
_TABLES = ("store", "weather", "trend_state", "trend_national", "event_history")


def _datasets(folder: Path) -> dict:
    """The carried objects' datasets in ``folder``, under the training catalog's names."""
    tables = {
        f"rossmann_{table}": ParquetDataset(
            filepath=str(folder / f"{table}.parquet"), save_args={"index": False}
        )
        for table in _TABLES
    }
    return {
        "rossmann_model": PickleDataset(filepath=str(folder / "model.pkl")),
        "rossmann_processors": JSONDataset(filepath=str(folder / "processors.json")),
        **tables,
    }


def log_pipeline_model(
    carried: Mapping[str, object],
    data_params: Mapping,
    input_example: pd.DataFrame,
    name: str = MODEL_NAME,
) -> mlflow.models.model.ModelInfo:
    """Log the inference pipeline with ``carried`` (catalog name -> object) to the active run."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        datasets = _datasets(folder)
        for dataset_name, dataset in datasets.items():
            dataset.save(carried[dataset_name])
        pipeline = create_inference_pipeline()
        parameters = {
            param: MemoryDataset(data_params[param.removeprefix(DATA_PARAMS)])
            for param in pipeline.inputs()
            if param.startswith(DATA_PARAMS)
        }
        catalog = DataCatalog(datasets={**datasets, **parameters})
        model = RossmannPipelineModel(pipeline=pipeline, catalog=catalog, input_name=REQUEST)
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=model,
            artifacts=model.extract_pipeline_artifacts(parameters_saving_folder=folder),
            signature=SIGNATURE,
            input_example=input_example,
            pip_requirements=[
                f"{package}=={version(package).split('+')[0]}" for package in REQUIREMENTS
            ],
            metadata={"input": "rows of Kaggle's test.csv", "output": "Id, Sales"},
        )
