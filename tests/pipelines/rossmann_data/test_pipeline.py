"""End-to-end Kedro runs of ``rossmann_data`` (slow): synthetic base env and real-data env."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from l6pipeline.pipelines.rossmann_data import create_pipeline
from l6pipeline.pipelines.rossmann_data.pipeline import create_feature_pipeline
from tests.conftest import SMALL_DATA, run_kedro

FEATURES = "data/04_feature/rossmann"
# The whole default date range: the lesson's alignment needs the Google weeks of the year before
# each New Year (2014-12-29 is "2014, ISO week 1" and looks up the week of 2014-01-05).


def test_pipeline_validates_then_builds_features():
    pipe = create_pipeline()
    names = {node.name for node in pipe.nodes}
    assert "validate_raw_tables" in names
    assert {"rossmann_train_features", "rossmann_test_features"} == pipe.outputs()
    assert all(name.startswith("raw_") or name.startswith("params:") for name in pipe.inputs())
    feature_inputs = create_feature_pipeline().inputs()
    assert {n for n in feature_inputs if not n.startswith("params:")} == {
        f"validated_{t}"
        for t in ("train", "test", "store", "store_states", "state_names", "googletrend", "weather")
    }


LAYER_ORDER = ["raw", "intermediate", "primary", "feature"]


def test_every_dataset_has_a_layer_and_layers_only_move_forward(kedro_project: Path):
    """kedro-viz shows layer bands only when no node goes back to an earlier layer."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(kedro_project)
    with KedroSession.create(project_path=kedro_project) as session:
        catalog = session.load_context().catalog

    def layer(name: str) -> int:
        meta = getattr(catalog.get(name), "metadata", None) or {}
        return LAYER_ORDER.index(meta["kedro-viz"]["layer"])

    for node in create_pipeline().nodes:
        inputs = [layer(n) for n in node.inputs if not n.startswith("params:")]
        outputs = [layer(n) for n in node.outputs]
        assert max(inputs) <= min(outputs), node.name


@pytest.mark.slow
def test_kedro_run_on_synthetic_data(kedro_project: Path):
    run_kedro(kedro_project, ["rossmann_synthetic"], params=SMALL_DATA)
    run_kedro(kedro_project, ["rossmann_data"])
    train = pd.read_parquet(kedro_project / FEATURES / "train_features.parquet")
    test = pd.read_parquet(kedro_project / FEATURES / "test_features.parquet")
    validated = pd.read_parquet(kedro_project / "data/02_intermediate/rossmann/train.parquet")
    assert len(train) == int((validated["Sales"] != 0).sum()) > 0
    assert len(test) == len(
        pd.read_parquet(kedro_project / "data/02_intermediate/rossmann/test.parquet")
    )
    for col in ("trend", "trend_DE", "State", "Mean_TemperatureC", "AfterPromo", "Promo_fw"):
        assert train[col].notna().all(), col
    assert train["StateHoliday"].dtype == bool
    assert "Id" in test and "Sales" not in test
    assert not [c for c in train if c.endswith("_y") or c.startswith("__index")]
    for name in ("store", "weather", "trend_state", "trend_national"):
        assert (kedro_project / f"data/03_primary/rossmann/{name}.parquet").is_file()
    assert (kedro_project / FEATURES / "events.parquet").is_file()

    # the lesson's week alignment is one parameter away
    run_kedro(
        kedro_project, ["rossmann_data"], params={"rossmann_data": {"trend_alignment": "fastai"}}
    )
    lesson = pd.read_parquet(kedro_project / FEATURES / "train_features.parquet")
    assert len(lesson) == len(train)
    assert (lesson["trend"] != train["trend"]).mean() > 0.5


@pytest.mark.slow
@pytest.mark.realdata
def test_kedro_run_on_the_real_files(kedro_project: Path, real_rossmann: Path):
    raw = kedro_project / "data/01_raw/rossmann"
    raw.mkdir(parents=True)
    for path in real_rossmann.glob("*.csv"):
        (raw / path.name).symlink_to(path)
    run_kedro(kedro_project, ["rossmann_data"], env="kaggle")
    # Real-data outputs have a folder of their own: a synthetic run's are never replaced.
    assert not (kedro_project / FEATURES).exists()
    features = kedro_project / "data/04_feature/rossmann_kaggle"
    train = pd.read_parquet(features / "train_features.parquet")
    test = pd.read_parquet(features / "test_features.parquet")
    assert len(test) == len(pd.read_csv(real_rossmann / "test.csv", usecols=["Id"]))
    assert train[["trend", "trend_DE", "State", "Mean_TemperatureC"]].notna().all().all()
    sales = pd.read_csv(real_rossmann / "train.csv", usecols=["Sales"])["Sales"]
    assert len(train) == int((sales != 0).sum())
