"""The Kedro pipeline on an in-memory catalog gives the library call's tables (one chain)."""

from __future__ import annotations

import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from l6pipeline.pipelines.rossmann_data import build_feature_tables
from l6pipeline.pipelines.rossmann_data.pipeline import create_feature_pipeline
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from l6pipeline.rossmann.raw.validation import validate_tables
from tests.rossmann.conftest import SMALL_PARAMS, read_raw_tables, write_raw_tables


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    folder = write_raw_tables(generate_rossmann(SMALL_PARAMS), tmp_path_factory.mktemp("raw"))
    return validate_tables(read_raw_tables(folder))


def run_in_memory(tables: dict[str, pd.DataFrame], window: int) -> dict[str, pd.DataFrame]:
    """``rossmann_data``'s feature nodes, spaceflights style: MemoryDatasets, SequentialRunner."""
    catalog = DataCatalog(
        {f"validated_{name}": MemoryDataset(frame) for name, frame in tables.items()}
    )
    catalog["params:rossmann_data.trend_alignment"] = "google_week"
    catalog["params:rossmann_data.event_window_rows"] = window
    catalog["params:rossmann_data.store_partitions"] = 0
    catalog["params:rossmann_data.recent_sales"] = {"lag_days": None, "spans": [28, 91, 365]}
    outputs = SequentialRunner().run(create_feature_pipeline(), catalog)
    return {name: dataset.load() for name, dataset in outputs.items()}


@pytest.mark.parametrize("window", [7, 3])
def test_kedro_pipeline_gives_the_library_tables(validated: dict, window: int):
    outputs = run_in_memory(validated, window)
    assert set(outputs) == {"rossmann_train_features", "rossmann_test_features"}
    train, test = build_feature_tables(validated, "google_week", window)
    pd.testing.assert_frame_equal(outputs["rossmann_train_features"], train)
    pd.testing.assert_frame_equal(outputs["rossmann_test_features"], test)


def test_the_event_window_parameter_reaches_both(validated: dict):
    """The two used to differ: the pipeline passed ``event_window_rows``, the library did not."""
    short = run_in_memory(validated, 3)["rossmann_train_features"]
    usual, _ = build_feature_tables(validated)
    assert short["Promo_bw"].max() == 3 < usual["Promo_bw"].max()
    library_short, _ = build_feature_tables(validated, window=3)
    pd.testing.assert_series_equal(library_short["Promo_fw"], short["Promo_fw"])


def test_library_call_keeps_its_signature(validated: dict):
    """``build_feature_tables(tables)`` and ``(tables, alignment)``: pandas in, pandas out."""
    train, test = build_feature_tables(validated)
    assert isinstance(train, pd.DataFrame) and isinstance(test, pd.DataFrame)
    assert len(train) == int((validated["train"]["Sales"] != 0).sum())
    assert len(test) == len(validated["test"])
    lesson, _ = build_feature_tables(validated, "google_week")
    pd.testing.assert_frame_equal(lesson, train)
