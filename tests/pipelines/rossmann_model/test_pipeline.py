"""The ``rossmann_model`` pipeline: its shape, and a small end-to-end Kedro run (slow)."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from l6pipeline.pipelines.rossmann_model import create_pipeline
from l6pipeline.rossmann.model.ensemble import SalesEnsemble
from l6pipeline.rossmann.model.processors import TabularProcessor
from l6pipeline.rossmann.serving.inference import INPUT_COLUMNS, serving_frame
from tests.conftest import (
    SMALL_MODEL,
    RossmannProject,
    copy_project,
    enter_project,
    run_kedro,
)


def test_pipeline_reads_the_feature_tables_and_what_the_served_model_carries():
    pipe = create_pipeline()
    assert {n for n in pipe.inputs() if not n.startswith("params:")} == {
        "rossmann_train_features",
        "rossmann_test_features",
        # carried by the served model (log_model_to_mlflow, docs/serving.md)
        "rossmann_store",
        "rossmann_weather",
        "rossmann_trend_state",
        "rossmann_trend_national",
        "validated_train",
        "validated_test",
    }
    assert {
        "rossmann_processors",
        "rossmann_model",
        "rossmann_submission",
        "rossmann_model_metrics",
        "rossmann_embeddings_plot",
    } <= pipe.all_outputs()


def _versioned(folder: Path) -> Path:
    """The single file saved in a versioned dataset's folder."""
    (version,) = folder.iterdir()
    return version / folder.name


@pytest.mark.slow
def test_kedro_run_on_synthetic_data(
    rossmann_project: RossmannProject, monkeypatch: pytest.MonkeyPatch
):
    kedro_project = enter_project(rossmann_project.root, monkeypatch)

    train = pd.read_parquet(kedro_project / "data/04_feature/rossmann/train_features.parquet")
    test = pd.read_parquet(kedro_project / "data/04_feature/rossmann/test_features.parquet")
    models = kedro_project / "data/06_models/rossmann"
    reporting = kedro_project / "data/08_reporting/rossmann"

    # Windows: W3 tunes only; W2 and W1 are measured with choices made one window earlier.
    summary = json.loads((reporting / "metrics.json").read_text())
    windows = {w["name"]: w for w in summary["windows"]}
    assert list(windows) == ["W3", "W2", "W1"]
    assert windows["W1"]["end"] == str(train["Date"].max().date())
    assert set(summary["backtest"]) == {"W2", "W1"}
    assert summary["backtest_rmspe"] == pytest.approx(
        np.mean([fold["rmspe"] for fold in summary["backtest"].values()])
    )
    for fold in summary["backtest"].values():
        assert 0 < fold["rmspe"] < 1 and 0 < fold["networks_rmspe"] < 1
        assert abs(fold["rows"] - len(test)) < train.groupby("Date").size().max()
    predictions = pd.read_parquet(
        kedro_project / "data/07_model_output/rossmann/backtest_predictions.parquet"
    )
    assert set(predictions["Window"]) == {"W2", "W1"}
    assert predictions["Date"].min() == pd.Timestamp(windows["W2"]["start"])

    # The refit: processors and model saw every labelled row, up to the last date of train.
    processor = TabularProcessor.from_dict(
        json.loads(_versioned(models / "processors.json").read_text())
    )
    assert processor.normalize.means["trend"] == pytest.approx(train["trend"].mean())
    assert summary["refit_rows"] == len(train)
    with _versioned(models / "entity_embedding_model.pkl").open("rb") as file:
        ensemble = pickle.load(file)
    assert isinstance(ensemble, SalesEnsemble) and len(ensemble.networks) == 2
    assert ensemble.trained_until == summary["trained_until"] == windows["W1"]["end"]
    assert ensemble.blend_weight == summary["choices"]["blend_weight"]
    assert ensemble.scale == pytest.approx(summary["choices"]["scale"])
    for figure in ("learning_curve", "predicted_vs_actual", "embeddings", "lr_finder"):
        assert (reporting / f"{figure}.png").stat().st_size > 10_000
    # lr: auto trained at the LR finder's suggestion; one curve per prefix, member and epoch.
    lr_finder = json.loads((kedro_project / "data/06_models/rossmann/lr_finder.json").read_text())
    curve = pd.read_csv(reporting / "learning_curve.csv")
    assert curve.groupby(["prefix", "member"]).size().to_dict() == {
        (prefix, member): 3
        for prefix in ("before_W3", "before_W2", "before_W1")
        for member in (0, 1)
    }
    assert curve["lr"].max() <= lr_finder["suggested_lr"] * (1 + 1e-6)
    worst = pd.read_csv(reporting / "worst_stores.csv")
    assert worst["rmspe"].is_monotonic_decreasing and {"StoreType", "State"} <= set(worst)

    # Submission: every test Id once; closed days sell nothing.
    submission = pd.read_csv(
        _versioned(kedro_project / "data/07_model_output/rossmann/submission.csv")
    )
    assert submission.columns.tolist() == ["Id", "Sales"]
    assert sorted(submission["Id"]) == sorted(test["Id"])
    closed = set(test.loc[test["Open"] == 0, "Id"])
    assert (submission.loc[submission["Id"].isin(closed), "Sales"] == 0).all()
    assert (submission.loc[~submission["Id"].isin(closed), "Sales"] > 0).all()

    # MLflow: per-epoch curves with steps, artifacts, and a model that reloads and predicts.
    client = mlflow.MlflowClient()
    run_id = rossmann_project.model_run_id
    run_info = client.get_run(run_id)
    metrics = run_info.data.metrics
    assert metrics["rossmann_model.backtest.rmspe"] == pytest.approx(summary["backtest_rmspe"])
    assert metrics["rossmann_model.tuning.W1.rmspe"] == pytest.approx(
        summary["tuning"]["W1"]["rmspe"]
    )
    # One child run per prefix and one for the refit, with each network's per-epoch curve.
    children = mlflow.search_runs(
        experiment_names=["l6pipeline"],
        filter_string=f"tags.mlflow.parentRunId = '{run_id}'",
        output_format="list",
    )
    by_name = {child.info.run_name: child for child in children}
    assert set(by_name) == {"before_W3", "before_W2", "before_W1", "refit"}
    history = client.get_metric_history(
        by_name["before_W1"].info.run_id, "rossmann_model.curve.before_W1.1.rmspe"
    )
    assert [m.step for m in history] == [0, 1, 2]
    artifacts = {a.path for a in client.list_artifacts(run_id, "rossmann_model")}
    assert {"rossmann_model/processors.json", "rossmann_model/submission.csv"} <= artifacts
    figures = {a.path for a in client.list_artifacts(run_id, "rossmann_model/figures")}
    assert {
        "rossmann_model/figures/embeddings.png",
        "rossmann_model/figures/lr_finder.png",
    } <= figures

    (logged,) = mlflow.search_logged_models(
        experiment_ids=[run_info.info.experiment_id],
        filter_string=f"source_run_id = '{run_id}'",
        output_format="list",
    )
    served = mlflow.pyfunc.load_model(f"models:/{logged.model_id}")
    assert list(served.metadata.metadata["input_columns"]) == list(INPUT_COLUMNS)
    # The served model takes raw rows (docs/serving.md) and answers as the submission does.
    raw_test = pd.read_parquet(kedro_project / "data/02_intermediate/rossmann/test.parquet")
    request = serving_frame(raw_test.head(50))
    predicted = served.predict(request)["Sales"].to_numpy()
    expected = submission.set_index("Id").loc[raw_test["Id"].head(50), "Sales"].to_numpy()
    assert np.allclose(predicted, expected, rtol=1e-6)


@pytest.mark.slow
def test_same_seed_twice_gives_the_same_submission(
    rossmann_project: RossmannProject,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mlflow_template_db: Path,
):
    kedro_project = copy_project(tmp_path, monkeypatch, mlflow_template_db)
    for layer in ("01_raw", "02_intermediate", "03_primary", "04_feature"):
        shutil.copytree(rossmann_project.root / "data" / layer, kedro_project / "data" / layer)
    small = {"rossmann_model": {**SMALL_MODEL["rossmann_model"], "ensemble": {"members": 1}}}
    folder = kedro_project / "data/07_model_output/rossmann/submission.csv"
    for _ in range(2):
        run_kedro(kedro_project, ["rossmann_model"], params=small)
    first, second = (pd.read_csv(v / "submission.csv") for v in sorted(folder.iterdir()))
    pd.testing.assert_frame_equal(first, second)
