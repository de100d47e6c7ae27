"""``rossmann_predict``'s node: a model that is not there is a user error naming the fix."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from l6pipeline.core.errors import UserInputError
from l6pipeline.core.params import ParameterError
from l6pipeline.pipelines.rossmann_predict.nodes import NoModelError, latest_model_uri, predict_file
from l6pipeline.rossmann.raw.csv_files import read_raw_csv, write_raw_csv
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from l6pipeline.rossmann.serving.mlflow_model import PredictSettings
from tests.rossmann.conftest import SMALL_PARAMS


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    yield uri
    mlflow.set_tracking_uri(None)


def test_no_model_of_that_name_says_how_to_get_one(empty_store):
    with pytest.raises(NoModelError) as caught:
        latest_model_uri("no_such_model")
    assert isinstance(caught.value, UserInputError)
    assert str(caught.value) == (
        f"no MLflow model named 'no_such_model' in the tracking store {empty_store}: train one "
        "with `kedro run --pipelines rossmann_model`, or set the parameter "
        "rossmann_predict.model_uri (e.g. --params rossmann_predict.model_uri=runs:/<id>/"
        "no_such_model)"
    )


def test_a_model_uri_that_does_not_load_names_the_parameter(empty_store, tmp_path: Path):
    test = generate_rossmann(SMALL_PARAMS)["test"].head(3)
    write_raw_csv(test, tmp_path / "test.csv", "test")
    uri = "runs:/0123456789abcdef/rossmann_pipeline"
    with pytest.raises(NoModelError) as caught:
        predict_file(read_raw_csv(tmp_path / "test.csv"), {"model_uri": uri})
    message = str(caught.value)
    assert message.startswith(
        f"cannot load the MLflow model {uri!r} (parameter rossmann_predict.model_uri): "
    )
    assert message.endswith("or leave model_uri unset for the newest model")
    assert "\n" not in message


def test_predict_parameters_are_a_typed_config():
    assert PredictSettings.from_params({"model_uri": None}).model_name == "rossmann_pipeline"
    with pytest.raises(
        ParameterError, match=r"^model_uir: unknown rossmann_predict parameters \(a typo\?\)"
    ):
        PredictSettings.from_params({"model_uir": "models:/m-1"})
    with pytest.raises(ParameterError, match=r"^model_uri = 3: must be a model URI or null$"):
        PredictSettings.from_params({"model_uri": 3})
