"""The study on Ray equals the study in a loop: same metrics, same child runs under one parent.

Ray starts once for the module (2 CPUs, no dashboard) and stops after it; every test uses that
Ray (the executor joins a running one). MLflow writes only from this process, to a temporary
SQLite store per test.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
import ray
from mlflow.tracking import MlflowClient

from l6pipeline.core.executors import ExecutorSettings, RayExecutor
from l6pipeline.core.tracking import child_runs
from l6pipeline.pipelines.augmentation import nodes
from l6pipeline.vision.augmentation import study as S
from l6pipeline.vision.augmentation.study_config import StudySettings, grid_configs
from l6pipeline.vision.images.data import load_mnist_digits
from tests.core.test_executors import square_or_fail

pytestmark = pytest.mark.slow

PARAMS = {
    "transforms": {"max_rotate": 10.0},
    "digits": {"transforms": {"do_flip": False}},
    "model": {"widths": [4, 8]},
}
TRAIN = {"epochs": 2, "batch_size": 16, "lr": 0.01, "seed": 3, "device": "cpu", "progress": False}
GRID_2X2 = {"wd": [0.0, 0.1], "augment": [False, True]}


@pytest.fixture(scope="module", autouse=True)
def _ray():
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def digits():
    return S.digit_subsets(load_mnist_digits(), 60, 40, seed=0)


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    # An experiment of this store: an earlier test's (kedro-mlflow's) id is not in it.
    mlflow.set_experiment("study-engines")
    yield MlflowClient(uri)
    mlflow.set_tracking_uri(None)


def _study(digits, engine: str, grid: dict) -> tuple[str, pd.DataFrame]:
    """The study node under a parent run; its id and the node's table."""
    study = {"grid": "custom", "custom_grid": grid, "train": TRAIN}
    with mlflow.start_run(run_name=engine) as parent:
        table, _ = nodes.run_regularization_study(
            *digits, **PARAMS, study=study, executor={"engine": engine}
        )
    return parent.info.run_id, table


def _failing_grid(digits, engine: str, grid: dict) -> tuple[str, S.StudyError]:
    """The grid under a parent run, as the study node runs it, where some configurations fail
    in the worker; the run's id and the error. (The node's parameters reject a value out of
    range before any training, so the grid goes to :func:`run_grid` directly.)"""
    augment = {**PARAMS["transforms"], **PARAMS["digits"]["transforms"]}
    settings = StudySettings.from_params(
        {"train": TRAIN, "model": PARAMS["model"], "augment": augment}
    )
    track = child_runs("study", settings.as_params())
    with mlflow.start_run(run_name=engine) as parent, ExecutorSettings(engine).make() as executor:
        with pytest.raises(S.StudyError) as caught:
            S.run_grid(grid_configs(grid), *digits, settings, track, executor=executor)
    return parent.info.run_id, caught.value


def _children(client: MlflowClient, parent_id: str) -> dict[str, dict]:
    """Each child run by name: params, final metrics (no timing) and per-epoch histories."""
    experiment = client.get_run(parent_id).info.experiment_id
    runs = client.search_runs([experiment], f"tags.mlflow.parentRunId = '{parent_id}'")
    out = {}
    for run in runs:
        assert run.info.status == "FINISHED"
        histories = {
            key: [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, key)]
            for key in ("train_loss", "valid_loss", "accuracy", "lr")
        }
        metrics = {k: v for k, v in run.data.metrics.items() if k != "seconds"}
        out[run.info.run_name] = {"params": run.data.params, "metrics": metrics, **histories}
    return out


def test_ray_executor_gives_the_loops_outcomes_on_one_thread_per_task():
    with RayExecutor() as executor:  # joins the module's Ray, does not start or stop one
        outcomes = sorted(
            executor.map_unordered(square_or_fail, [1, 3, 4], 10), key=lambda o: o.index
        )
    assert ray.is_initialized()
    assert [o.value for o in outcomes] == [(11, 1), None, (26, 1)]
    # the worker's own exception, not Ray's wrapper
    assert type(outcomes[1].error) is ValueError and str(outcomes[1].error) == "item 3 is bad"


def test_a_2x2_grid_on_ray_equals_the_local_loop(digits, client: MlflowClient):
    local_id, local = _study(digits, "local", GRID_2X2)
    ray_id, on_ray = _study(digits, "ray", GRID_2X2)

    assert len(local) == 4
    pd.testing.assert_frame_equal(local.drop(columns="seconds"), on_ray.drop(columns="seconds"))
    local_children, ray_children = _children(client, local_id), _children(client, ray_id)
    assert set(local_children) == {f"study: {c.name}" for c in grid_configs(GRID_2X2)}
    assert ray_children == local_children
    for child in local_children.values():
        assert [step for step, _ in child["valid_loss"]] == [0, 1]
        assert {"wd", "augment", "epochs", "label"} <= set(child["params"])


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_a_failing_configuration_is_named_and_the_others_are_kept(
    digits, client: MlflowClient, engine: str
):
    grid = {"p_dropout": [0.0, 1.5], "augment": [False, True]}  # p = 1.5 fails in the worker
    parent_id, error = _failing_grid(digits, engine, grid)

    message = str(error)
    assert message.startswith("2 of 4 configurations failed")
    assert (
        "'wd=0.01 p=1.5 bn=on aug=off': ValueError: dropout probability must be in [0, 1], got 1.5"
        in message
    )
    assert "'wd=0.01 p=1.5 bn=on aug=on'" in message
    assert "the 2 that finished are kept" in message
    assert sorted(r.config.p_dropout for r in error.finished) == [0.0, 0.0]
    children = _children(client, parent_id)
    assert set(children) == {"study: wd=0.01 p=0 bn=on aug=off", "study: wd=0.01 p=0 bn=on aug=on"}
    for child in children.values():
        assert "valid_accuracy" in child["metrics"] and len(child["valid_loss"]) == 2
