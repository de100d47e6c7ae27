"""``kedro run --env dask --pipelines rossmann_data`` (slow): the default env's tables, from Dask."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from l6pipeline.project import dask_client
from tests.conftest import SMALL_DATA, run_kedro

KEY = ["Store", "Date"]


def read_sorted(path: Path) -> pd.DataFrame:
    """A Parquet file or folder of parts as one table in (Store, Date) order."""
    return pd.read_parquet(path).sort_values(KEY).reset_index(drop=True)


@pytest.mark.slow
def test_dask_env_gives_the_default_env_tables(kedro_project: Path, monkeypatch):
    opened = []

    def spy(settings: dask_client.DaskSettings):
        client = open_client(settings)
        opened.append((client, len(client.scheduler_info()["workers"])))
        return client

    open_client = dask_client.open_client
    monkeypatch.setattr(dask_client, "open_client", spy)
    run_kedro(kedro_project, ["rossmann_synthetic"], params=SMALL_DATA)
    run_kedro(kedro_project, ["rossmann_data"])
    assert not opened, "the default env opened a Dask client"
    run_kedro(kedro_project, ["rossmann_data"], env="dask")
    # conf/dask's LocalCluster of 2 workers, closed after the run
    [(client, workers)] = opened
    assert workers == 2 and client.status == "closed"
    default = kedro_project / "data/04_feature/rossmann"
    dask = kedro_project / "data/04_feature/rossmann_dask"
    # Written part by part by the workers, into a folder of their own
    assert len(list((dask / "train_features.parquet").glob("part.*.parquet"))) == 8
    for name in ("train_features", "test_features", "events"):
        expected = read_sorted(default / f"{name}.parquet")
        assert len(expected) > 0
        pd.testing.assert_frame_equal(read_sorted(dask / f"{name}.parquet"), expected)
