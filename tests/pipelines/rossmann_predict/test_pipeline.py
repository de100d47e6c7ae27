"""The served model end to end: trained by a real (small) ``rossmann_model`` run, then used
in process, over HTTP (``mlflow models serve``) and by ``kedro run --pipelines rossmann_predict``.

One module-wide training run: synthetic data where one store of store.csv (``new_store``) has
no train or test rows, so that it is new to the model.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from l6pipeline.pipelines.rossmann_data import build_feature_tables
from l6pipeline.pipelines.rossmann_predict import create_pipeline
from l6pipeline.pipelines.rossmann_predict.nodes import latest_model_uri
from l6pipeline.rossmann.model.processors import NA, TabularProcessor
from l6pipeline.rossmann.model.train import predict_sales
from l6pipeline.rossmann.raw.csv_files import write_raw_csv
from l6pipeline.rossmann.raw.schemas import TABLES
from l6pipeline.rossmann.serving.inference import INPUT_COLUMNS, ServingInputError, serving_frame
from l6pipeline.rossmann.serving.server import start_in_background
from tests.conftest import RossmannProject, enter_project, run_kedro

pytestmark = pytest.mark.slow

SERVER_START_S = 300  # a loaded 2-core machine needs minutes to import mlflow + torch
REQUEST_S = 60
OUTPUTS = Path("data/07_model_output/rossmann")


def _latest(folder: Path) -> Path:
    """The newest version's file of a versioned dataset."""
    return sorted(folder.iterdir())[-1] / folder.name


@pytest.fixture(scope="module")
def trained(rossmann_project: RossmannProject) -> Iterator[dict]:
    """The session's Rossmann project (one store held out), entered for this module."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        project = enter_project(rossmann_project.root, monkeypatch)
        yield {
            "project": project,
            "new_store": rossmann_project.new_store,
            "new_store_rows": rossmann_project.new_store_rows,
            "test": pd.read_parquet(project / "data/02_intermediate/rossmann/test.parquet"),
            "submission": pd.read_csv(_latest(project / OUTPUTS / "submission.csv")),
        }


def relative_error(got: pd.Series, want: pd.Series) -> float:
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-12)))


def test_predict_pipeline_reads_a_raw_file_and_its_parameters():
    assert create_pipeline().inputs() == {"rossmann_predict_input", "params:rossmann_predict"}


def test_served_model_equals_the_pipelines_own_submission(trained):
    model = mlflow.pyfunc.load_model(latest_model_uri())
    got = model.predict(serving_frame(trained["test"]))
    want = trained["submission"].set_index("Id").loc[got["Id"]]
    assert len(got) == len(trained["submission"])
    assert relative_error(got["Sales"].to_numpy(), want["Sales"].to_numpy()) <= 1e-6
    # A shuffled handful gets the same numbers, in the order asked.
    few = serving_frame(trained["test"]).sample(7, random_state=0)
    answer = model.predict(few)
    assert answer["Id"].tolist() == few["Id"].tolist()
    want = trained["submission"].set_index("Id").loc[few["Id"], "Sales"].to_numpy()
    assert relative_error(answer["Sales"].to_numpy(), want) <= 1e-6


def test_logged_model_declares_its_output_and_input_columns_without_a_cast(trained):
    """No input schema (MLflow would cast 1.5 to 1 before the model sees it): the columns are
    in the metadata and the input example."""
    info = mlflow.models.get_model_info(latest_model_uri())
    assert info.signature.inputs is None
    assert info.signature.outputs.input_names() == ["Id", "Sales"]
    assert list(info.metadata["input_columns"]) == list(INPUT_COLUMNS)
    assert info.saved_input_example_info is not None


def _post(url: str, frame: pd.DataFrame) -> tuple[int, dict]:
    split = json.loads(frame.to_json(orient="split", index=False))
    body = json.dumps({"dataframe_split": split}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_S) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def server(trained) -> Iterator[dict]:
    """``make serve``'s server (two workers) on a free loopback port; stopped by SIGTERM."""
    log = trained["project"] / "serve.log"
    process, port = start_in_background(latest_model_uri(), log, workers=2, timeout=SERVER_START_S)
    try:
        yield {"url": f"http://127.0.0.1:{port}/invocations", "process": process, "log": log}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _size(path: Path) -> int | None:
    return path.stat().st_size if path.exists() else None


def test_http_round_trip_bad_requests_quiet_log_and_a_clean_stop(trained, server):
    # Kedro's own runs in this project may have written info.log; serving must not add to it.
    kedro_log = trained["project"] / "info.log"
    kedro_log_size = _size(kedro_log)
    rows = serving_frame(trained["test"]).dropna(subset=["Open"]).head(5)
    want = trained["submission"].set_index("Id").loc[rows["Id"], "Sales"].to_numpy()
    bad = [
        rows.head(2).assign(Store=[rows["Store"].iloc[0], 9999]),
        rows.head(2).assign(Store=[1.5, rows["Store"].iloc[1]]),
        rows.head(2).assign(Promo=[0.9, 1]),
        rows.head(2).assign(Extra=1),
    ]
    for request in bad:
        status, answer = _post(server["url"], request)
        assert status == 400
        assert "column '" in answer["message"] and "\n" not in answer["message"]
        status, answer = _post(server["url"], rows)  # a good request right after
        assert status == 200
        got = pd.DataFrame(answer["predictions"])
        assert got["Id"].tolist() == rows["Id"].tolist()
        assert relative_error(got["Sales"].to_numpy(), want) <= 1e-6
    status, answer = _post(server["url"], bad[0])
    assert "9999 (index 1)" in answer["message"]

    before = len(server["log"].read_text().splitlines())
    for _ in range(20):
        _post(server["url"], rows.head(1))
    lines = server["log"].read_text().splitlines()[before:]
    # One INFO line per request; a worker that finishes starting meanwhile may add uvicorn's
    # startup lines, never a warning or an error.
    assert sum(" INFO l6pipeline.rossmann.serving: POST " in line for line in lines) == 20
    assert all(" INFO " in line for line in lines), lines
    assert _size(kedro_log) == kedro_log_size  # no file log unless asked

    os.killpg(server["process"].pid, signal.SIGTERM)
    assert server["process"].wait(timeout=60) == 0
    assert "Traceback" not in server["log"].read_text()


def _predict_file(trained, frame: pd.DataFrame, name: str, params: dict | None = None) -> None:
    """``kedro run --pipelines rossmann_predict`` on ``frame`` written as a raw test file."""
    project = trained["project"]
    path = project / "data/01_raw" / f"{name}.csv"
    write_raw_csv(frame, path, "test")
    (project / "conf/local/catalog.yml").write_text(
        "rossmann_predict_input:\n"
        "  type: l6pipeline.project.datasets.RawCSVDataset\n"
        "  table: test\n"
        f"  filepath: {path}\n"
        "  metadata: {kedro-viz: {layer: raw}}\n"
    )
    run_kedro(project, ["rossmann_predict"], params=params)


def test_rossmann_predict_on_a_file_with_a_new_store_and_a_closed_day(trained):
    known = trained["test"].dropna(subset=["Open"]).head(6)
    new = trained["new_store_rows"].assign(Open=1.0)
    new.loc[2, "Open"] = 0.0
    _predict_file(trained, pd.concat([known, new], ignore_index=True), "new_store")
    folder = trained["project"] / OUTPUTS / "predictions.csv"
    got = pd.read_csv(_latest(folder)).set_index("Id")

    # Known stores: the submission's numbers.
    want = trained["submission"].set_index("Id").loc[known["Id"], "Sales"].to_numpy()
    assert relative_error(got.loc[known["Id"], "Sales"].to_numpy(), want) <= 1e-6
    # The closed day sells 0; the new store's other days are predicted as the training code
    # would (feature chain over its rows, processors with Store = #na#, the trained model).
    assert got.loc[new["Id"].iloc[2], "Sales"] == 0
    project = trained["project"]
    tables = {
        table: pd.read_parquet(project / f"data/02_intermediate/rossmann/{table}.parquet")
        for table in TABLES
    }
    tables["test"] = pd.concat([tables["test"], new], ignore_index=True)
    _, features = build_feature_tables(tables)
    features = features[features["Store"] == trained["new_store"]]
    processors = json.loads(
        _latest(project / "data/06_models/rossmann/processors.json").read_text()
    )
    processor = TabularProcessor.from_dict(processors)
    arrays = processor.transform(features)
    store = processor.cat_names.index("Store")
    assert set(processor.categorify.decode("Store", arrays.cats[:, store])) == {NA}
    model = pd.read_pickle(_latest(project / "data/06_models/rossmann/entity_embedding_model.pkl"))
    expected = np.where(features["Open"].eq(0), 0.0, predict_sales(model, arrays))
    assert relative_error(got.loc[features["Id"], "Sales"].to_numpy(), expected) <= 1e-6

    # A chosen model_uri, and a new version beside the first (nothing overwritten).
    first = _latest(folder).read_bytes()
    time.sleep(1)  # versions are timestamped to the millisecond
    params = {"rossmann_predict": {"model_uri": latest_model_uri()}}
    _predict_file(trained, pd.concat([known, new], ignore_index=True), "again", params)
    versions = sorted(folder.iterdir())
    assert len(versions) == 2 and (versions[0] / folder.name).read_bytes() == first


def test_rossmann_predict_refuses_an_unknown_store_naming_the_line(trained):
    frame = trained["test"].head(3)
    frame = frame.assign(Store=[frame["Store"].iloc[0], 9999, frame["Store"].iloc[2]])
    before = set((trained["project"] / OUTPUTS).glob("predictions.csv/*"))
    with pytest.raises(ServingInputError, match=r"(?s)column 'Store'.*9999 \(line 3\)"):
        _predict_file(trained, frame, "unknown_store")
    assert set((trained["project"] / OUTPUTS).glob("predictions.csv/*")) == before
