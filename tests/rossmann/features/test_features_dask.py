"""The Dask path (per-store partitions) gives exactly the pandas feature tables."""

from __future__ import annotations

import sys

import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from l6pipeline.core.params import ParameterError
from l6pipeline.pipelines.rossmann_data import build_feature_tables
from l6pipeline.rossmann.features.partitions import partition_by_store
from l6pipeline.rossmann.raw.csv_files import read_raw_csv
from l6pipeline.rossmann.raw.schemas import TABLES, file_name
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from l6pipeline.rossmann.raw.validation import validate_tables
from tests.conftest import require_real_rossmann

KEY = ["Store", "Date"]
SPLITS = ("train", "test")
#: Input partitions cut by row position (the files' order is by date, then store), so every
#: cut falls inside stores' date ranges.
INPUT_PARTITIONS = 5


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY).reset_index(drop=True)


def cut_by_rows(tables: dict[str, pd.DataFrame]) -> dict:
    """The tables with train / test as Dask frames partitioned by row position."""
    rows = {name: dd.from_pandas(tables[name], INPUT_PARTITIONS, sort=False) for name in SPLITS}
    return {**tables, **rows}


def partition_stores(frame) -> list[set]:
    """The stores of each partition of a Dask frame."""
    return [set(frame.get_partition(i)["Store"].compute()) for i in range(frame.npartitions)]


def assert_same_features(tables: dict, expected: tuple, partitions: int) -> None:
    train, test = build_feature_tables(tables, partitions=partitions)
    assert train.npartitions == test.npartitions == partitions
    for got, want in zip(dd.compute(train, test), expected, strict=True):
        pd.testing.assert_frame_equal(sorted_rows(got), sorted_rows(want))


@pytest.fixture(scope="module")
def synthetic() -> dict[str, pd.DataFrame]:
    """The synthetic default (60 stores, 2013-01-01..2015-07-31 + 48 test days)."""
    return generate_rossmann()


@pytest.fixture(scope="module")
def synthetic_features(synthetic) -> tuple:
    return build_feature_tables(synthetic)


def test_input_partitions_cut_inside_stores(synthetic):
    cut = cut_by_rows(synthetic)
    stores = partition_stores(cut["train"])
    assert len(stores) == INPUT_PARTITIONS
    assert stores[0] & stores[1], "the first cut should fall inside some store's dates"


@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_dask_partitions_equal_pandas(synthetic, synthetic_features, partitions: int):
    assert_same_features(cut_by_rows(synthetic), synthetic_features, partitions)


def test_pandas_input_with_partitions_equals_pandas(synthetic, synthetic_features):
    """``partitions`` > 0 on pandas tables: they are handed to Dask (``from_pandas``) first."""
    assert_same_features(synthetic, synthetic_features, 3)


def test_store_partitions_hold_whole_stores_alike_in_train_and_test(synthetic):
    cut = cut_by_rows(synthetic)
    train, test = partition_by_store(cut["train"], cut["test"], 4)
    train_stores, test_stores = partition_stores(train), partition_stores(test)
    for i, stores in enumerate(train_stores):
        others = set().union(*(s for j, s in enumerate(train_stores) if j != i))
        assert not stores & others, f"stores split between partitions: {stores & others}"
        # a test store is in the partition that holds its train rows
        assert not test_stores[i] & others
    assert set().union(*train_stores) == set(synthetic["train"]["Store"])


def test_more_partitions_than_stores_leaves_empty_partitions_that_work():
    tables = generate_rossmann({"n_stores": 4, "start_date": "2015-01-01"})
    cut = cut_by_rows(tables)
    train, _ = partition_by_store(cut["train"], cut["test"], 9)
    assert set() in partition_stores(train)
    assert_same_features(cut, build_feature_tables(tables), 9)


def test_on_a_distributed_cluster(synthetic, synthetic_features):
    """The kernels travel to worker processes (pickled by reference) and back."""
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    with cluster, Client(cluster):
        assert_same_features(cut_by_rows(synthetic), synthetic_features, 3)


@pytest.mark.parametrize("bad", [-1, 2.5, "8", True])
def test_bad_partition_count_names_the_parameter(synthetic, bad):
    with pytest.raises(
        ParameterError,
        match=rf"rossmann_data.store_partitions = {bad!r}: must be an integer >= 0 \(0: ",
    ):
        build_feature_tables(synthetic, partitions=bad)


@pytest.fixture(scope="module")
def real() -> dict[str, pd.DataFrame]:
    folder = require_real_rossmann()
    return validate_tables({t: read_raw_csv(folder / file_name(t)) for t in TABLES})


@pytest.fixture(scope="module")
def real_features(real) -> tuple:
    return build_feature_tables(real)


@pytest.mark.realdata
@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_dask_partitions_equal_pandas_on_the_real_files(real, real_features, partitions: int):
    assert_same_features(cut_by_rows(real), real_features, partitions)


def test_without_the_extra_the_error_says_how_to_install_it(synthetic, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)  # as if Dask were not installed
    with pytest.raises(
        ImportError,
        match=r"optional extra, which the lock installs: make install, or pip install -r requirements/dev.txt",
    ):
        build_feature_tables(synthetic, partitions=2)
