"""The served model: one MLflow pyfunc model that answers raw test-format rows.

``rossmann_model`` logs it (:func:`log_pipeline_model`); ``rossmann_predict`` and the server
(:mod:`.server`) load it by name (:data:`MODEL_NAME`). :class:`RossmannModel` builds the
request path (:class:`~.inference.ServedPipeline`) once in ``load_context``, from the carried
artifacts: the model, the processors, the row steps' tables, the event history and
``rossmann_data``'s parameters.

The signature declares the output only. An input schema would make MLflow cast each request to
its types before the model sees it (1.5 read as 1 for a ``long``, an unknown column dropped
with a warning); without one the model receives the values the client sent and its own
contract (:mod:`.contract`) refuses what it cannot answer exactly. The input columns are in the
model's metadata and its input example.
"""

from __future__ import annotations

import json
import pickle
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModelContext
from mlflow.types import ColSpec, Schema

from l6pipeline.core.params import ParameterError, Parameters
from l6pipeline.rossmann.features.parameters import RossmannDataParameters
from l6pipeline.rossmann.serving.contract import ServingInputError
from l6pipeline.rossmann.serving.inference import INPUT_COLUMNS, ServedPipeline, carried_tables

#: The name the served model is logged under in each ``rossmann_model`` run.
MODEL_NAME = "rossmann_pipeline"
SIGNATURE = ModelSignature(outputs=Schema([ColSpec("long", "Id"), ColSpec("double", "Sales")]))
# Installed distributions the model needs besides l6pipeline itself (see docs/serving.md).
REQUIREMENTS = ("mlflow", "kedro", "torch", "numpy", "pandas", "pyarrow", "pandera", "lightgbm")
# The carried objects, by artifact name: the model's own and each row step table's file.
MODEL, PROCESSORS, HISTORY, DATA_PARAMS, TABLES = (
    "model.pkl",
    "processors.json",
    "event_history.parquet",
    "data_params.json",
    "tables",
)


@dataclass(frozen=True)
class PredictSettings(Parameters, what="rossmann_predict"):
    """The ``rossmann_predict`` parameters: which logged model predicts (and is logged as)."""

    model_uri: str | None = None  # e.g. models:/<id> or runs:/<run id>/rossmann_pipeline
    model_name: str = MODEL_NAME  # the name rossmann_model logs under; the newest one predicts

    def __post_init__(self) -> None:
        if self.model_uri is not None and not isinstance(self.model_uri, str):
            raise ParameterError("model_uri", "must be a model URI or null", self.model_uri)
        if not isinstance(self.model_name, str) or not self.model_name:
            raise ParameterError("model_name", "must be a non-empty name", self.model_name)


class RossmannModel(mlflow.pyfunc.PythonModel):
    """Raw test-format rows -> ``Id, Sales``; a refused request raises an ``MlflowException``
    (``INVALID_PARAMETER_VALUE``, HTTP 400) with the contract's sentence."""

    served: ServedPipeline

    def load_context(self, context) -> None:
        artifacts = {name: Path(path) for name, path in context.artifacts.items()}
        with artifacts[MODEL].open("rb") as file:
            model = pickle.load(file)  # noqa: S301 (our own artifact, written by log_pipeline_model)
        tables = {
            name: pd.read_parquet(artifacts[TABLES] / f"{name}.parquet")
            for name in carried_tables()
        }
        self.served = ServedPipeline(
            model,
            json.loads(artifacts[PROCESSORS].read_text()),
            tables,
            pd.read_parquet(artifacts[HISTORY]),
            RossmannDataParameters.from_params(json.loads(artifacts[DATA_PARAMS].read_text())),
        )

    def predict(
        self,
        context: PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """``Id, Sales`` of the request rows. The ``pd.DataFrame`` hint is one MLflow infers
        no schema from and casts nothing by: the rows reach the contract as the client sent
        them (a request of another type is refused there)."""
        try:
            return self.served.predict(model_input)
        except ServingInputError as error:
            raise MlflowException(str(error), error_code=INVALID_PARAMETER_VALUE) from None


def log_pipeline_model(
    carried: Mapping[str, Any],
    data_params: RossmannDataParameters,
    input_example: pd.DataFrame,
    name: str = MODEL_NAME,
) -> mlflow.models.model.ModelInfo:
    """Log :class:`RossmannModel` with ``carried`` (catalog name -> object: ``rossmann_model``,
    ``rossmann_processors``, ``rossmann_event_history`` and every :func:`carried_tables`)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with (folder / MODEL).open("wb") as file:
            pickle.dump(carried["rossmann_model"], file)
        (folder / PROCESSORS).write_text(json.dumps(carried["rossmann_processors"]))
        (folder / DATA_PARAMS).write_text(json.dumps(asdict(data_params)))
        carried["rossmann_event_history"].to_parquet(folder / HISTORY, index=False)
        (folder / TABLES).mkdir()
        for table in carried_tables():
            carried[table].to_parquet(folder / TABLES / f"{table}.parquet", index=False)
        artifacts = {item: str(folder / item) for item in (MODEL, PROCESSORS, HISTORY, DATA_PARAMS)}
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=RossmannModel(),
            artifacts={**artifacts, TABLES: str(folder / TABLES)},
            signature=SIGNATURE,
            input_example=input_example,
            pip_requirements=[
                f"{package}=={version(package).split('+')[0]}" for package in REQUIREMENTS
            ],
            metadata={
                "input": "rows of Kaggle's test.csv (docs/serving.md)",
                "input_columns": list(INPUT_COLUMNS),  # in order (MLmodel sorts a mapping)
                "input_dtypes": dict(INPUT_COLUMNS),
                "output": "Id, Sales",
            },
        )
