"""The project hooks reject bad parameters and unreadable raw files before the first node."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline

from l6pipeline.core.params import RejectedParameters
from l6pipeline.project.datasets import RawCSVDataset, RawFileError
from l6pipeline.project.hooks import ParameterHooks, RawDataHooks
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from l6pipeline.settings import HOOKS
from tests.conftest import base_parameters
from tests.rossmann.conftest import SMALL_PARAMS, write_raw_tables


@pytest.fixture
def raw_csv_dir(tmp_path: Path) -> Path:
    return write_raw_tables(generate_rossmann(SMALL_PARAMS), tmp_path / "raw")


def _identity(*args):
    return args[0]


def _parameters_catalog(parameters: dict) -> DataCatalog:
    """As Kedro builds it: ``parameters`` plus one ``params:`` entry per nested key."""
    catalog = DataCatalog({"parameters": MemoryDataset(parameters)})

    def add(prefix: str, value) -> None:
        catalog[f"params:{prefix}"] = value
        if isinstance(value, dict):
            for key, inner in value.items():
                add(f"{prefix}.{key}", inner)

    for key, value in parameters.items():
        add(key, value)
    return catalog


def test_both_hooks_are_registered_in_settings():
    assert any(isinstance(hook, ParameterHooks) for hook in HOOKS)
    assert any(isinstance(hook, RawDataHooks) for hook in HOOKS)


def test_parameter_hook_checks_the_blocks_the_pipeline_reads():
    model = base_parameters("rossmann_model")
    model["train"] |= {"epochs": 2, "epochz": 3}
    parameters = {
        "rossmann_model": model,
        "cnn": {"classifier": {"train": {"batch_size": 0}}},
    }
    catalog = _parameters_catalog(parameters)
    reads_train = Pipeline(
        [Node(_identity, ["x", "params:rossmann_model.train"], "y", name="train")]
    )
    with pytest.raises(RejectedParameters) as caught:
        ParameterHooks().before_pipeline_run({}, reads_train, catalog)
    message = str(caught.value)
    assert "rossmann_model.train.epochz: unknown training parameters" in message
    assert "cnn.classifier" not in message  # not read by this pipeline

    reads_cnn = Pipeline([Node(_identity, ["x", "params:cnn.classifier"], "y", name="cnn")])
    with pytest.raises(RejectedParameters, match=r"cnn\.classifier\.train\.batch_size = 0"):
        ParameterHooks().before_pipeline_run({}, reads_cnn, catalog)


def test_parameter_hook_checks_data_executor_and_store_partitions():
    """Blocks that nodes used to read as plain dicts are checked before the first node too."""
    parameters = {
        "cnn": {"data": {"source": "pets"}, "localization": {"canvass": 32}},
        "augmentation": {"executor": {"engine": "dask"}},
        "rossmann_data": {"store_partitions": -1},
    }
    reads = Pipeline(
        [
            Node(_identity, ["x", "params:cnn.data"], "a", name="data"),
            Node(_identity, ["x", "params:cnn.localization"], "b", name="localization"),
            Node(_identity, ["x", "params:augmentation.executor"], "c", name="executor"),
            Node(_identity, ["x", "params:rossmann_data.store_partitions"], "d", name="parts"),
        ]
    )
    with pytest.raises(RejectedParameters) as caught:
        ParameterHooks().before_pipeline_run({}, reads, _parameters_catalog(parameters))
    message = str(caught.value)
    assert "augmentation.executor.engine = 'dask': must be one of 'local', 'ray'" in message
    assert "cnn.data.source = 'pets': must be one of 'mnist', 'image_folder'" in message
    assert "cnn.localization.canvass: unknown localization parameters (a typo?)" in message
    assert "rossmann_data.store_partitions = -1: must be an integer >= 0 (0: " in message
    assert len(caught.value.problems) == 4


def test_parameter_hook_passes_a_pipeline_without_parameters():
    catalog = _parameters_catalog({"rossmann_model": {"train": {"epochs": -1}}})
    pipeline = Pipeline([Node(_identity, "x", "y", name="n")])
    ParameterHooks().before_pipeline_run({}, pipeline, catalog)


def _raw_catalog(folder: Path) -> tuple[DataCatalog, Pipeline]:
    tables = ("train", "store", "weather")
    catalog = DataCatalog(
        {
            f"raw_{t}": RawCSVDataset(
                filepath=str(folder / f"{t}.csv"), table=t, missing_hint="Run the generator."
            )
            for t in tables
        }
    )
    pipeline = Pipeline([Node(_identity, [f"raw_{t}" for t in tables], "out", name="read")])
    return catalog, pipeline


def test_raw_hook_lists_missing_files_and_wrong_files_in_one_paragraph(raw_csv_dir):
    store = raw_csv_dir / "store.csv"
    store.write_bytes(gzip.compress(store.read_bytes()))
    (raw_csv_dir / "weather.csv").unlink()
    catalog, pipeline = _raw_catalog(raw_csv_dir)
    with pytest.raises(RawFileError) as caught:
        RawDataHooks().before_pipeline_run({}, pipeline, catalog)
    message = str(caught.value)
    assert message.startswith(
        f"The raw Rossmann tables are missing: weather.csv in {raw_csv_dir}/. Run the generator."
    )
    assert "store.csv is gzip-compressed" in message
    assert "\n" not in message and len(caught.value.problems) == 2


def test_raw_hook_names_a_directory(raw_csv_dir):
    train = raw_csv_dir / "train.csv"
    train.unlink()
    train.mkdir()
    catalog, pipeline = _raw_catalog(raw_csv_dir)
    with pytest.raises(RawFileError, match=r"train\.csv: .*train\.csv is a directory"):
        RawDataHooks().before_pipeline_run({}, pipeline, catalog)


def test_raw_hook_passes_good_files(raw_csv_dir):
    catalog, pipeline = _raw_catalog(raw_csv_dir)
    RawDataHooks().before_pipeline_run({}, pipeline, catalog)
