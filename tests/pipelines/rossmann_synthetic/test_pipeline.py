"""The generator pipeline, the raw catalog in both environments, and the read-only kaggle env."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.io import DatasetError

from l6pipeline.pipelines.rossmann_synthetic import create_pipeline
from l6pipeline.pipelines.rossmann_synthetic.nodes import generate_raw_tables
from l6pipeline.project.datasets import RawCSVDataset
from l6pipeline.rossmann import RawDataError
from l6pipeline.rossmann.raw.schemas import TABLES
from tests.conftest import run_kedro
from tests.rossmann.conftest import SMALL_PARAMS, write_raw_tables

RAW = [f"raw_{table}" for table in TABLES]


def catalog(project: Path, env: str | None = None):
    bootstrap_project(project)
    return KedroSession.create(project_path=project, env=env).load_context().catalog


def test_one_named_node_writes_the_seven_raw_tables():
    pipe = create_pipeline()
    (node,) = pipe.nodes
    assert node.name == "generate_raw_tables"
    assert pipe.inputs() == {"params:rossmann_synthetic"}
    assert pipe.outputs() == set(RAW)


def test_node_returns_every_table():
    tables = generate_raw_tables(SMALL_PARAMS)
    assert list(tables) == list(TABLES)
    assert tables["store"]["Store"].tolist() == list(range(1, SMALL_PARAMS["n_stores"] + 1))


def test_base_env_reads_and_writes_the_synthetic_folder(kedro_project):
    raw = catalog(kedro_project)
    for table in TABLES:
        dataset = raw.get(f"raw_{table}")
        assert isinstance(dataset, RawCSVDataset)
        assert dataset.filepath.endswith(f"data/01_raw/synthetic/{table}.csv")


def test_kaggle_env_reads_the_rossmann_folder_read_only(kedro_project):
    folder = write_raw_tables(
        generate_raw_tables(SMALL_PARAMS), kedro_project / "data/01_raw/rossmann"
    )
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    raw = catalog(kedro_project, env="kaggle")
    for table in TABLES:
        dataset = raw.get(f"raw_{table}")
        assert dataset.filepath.endswith(f"data/01_raw/rossmann/{table}.csv")
        frame = raw.load(f"raw_{table}")
        with pytest.raises(DatasetError, match="read-only raw data: refusing to overwrite"):
            raw.save(f"raw_{table}", frame)
    assert before == {path.name: path.read_bytes() for path in folder.iterdir()}


@pytest.mark.slow
def test_generator_refuses_to_run_in_the_kaggle_env(kedro_project):
    with pytest.raises(DatasetError, match="read-only"):
        run_kedro(
            kedro_project,
            ["rossmann_synthetic"],
            env="kaggle",
            params={"rossmann_synthetic": SMALL_PARAMS},
        )
    assert not (kedro_project / "data/01_raw/rossmann").exists()


@pytest.mark.slow
def test_a_run_without_raw_tables_says_how_to_get_them(kedro_project):
    with pytest.raises(RawDataError) as caught:
        run_kedro(kedro_project, ["rossmann_ingest"])
    message = str(caught.value)
    assert "train.csv" in message and "data/01_raw/synthetic" in message
    assert "kedro run --pipelines rossmann_synthetic" in message and "--env kaggle" in message
    with pytest.raises(RawDataError, match=r"data/01_raw/rossmann.*Kaggle's\s+train.csv"):
        run_kedro(kedro_project, ["rossmann_ingest"], env="kaggle")
