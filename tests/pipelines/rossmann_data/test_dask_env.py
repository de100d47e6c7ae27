"""``kedro run --env dask --pipelines rossmann_data`` (slow): the default env's tables, from Dask."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.pipelines.rossmann_data.test_pipeline import SMALL, run

KEY = ["Store", "Date"]


def read_sorted(path: Path) -> pd.DataFrame:
    """A Parquet file or folder of parts as one table in (Store, Date) order."""
    return pd.read_parquet(path).sort_values(KEY).reset_index(drop=True)


@pytest.mark.slow
def test_dask_env_gives_the_default_env_tables(kedro_project: Path):
    run(kedro_project, ["rossmann_synthetic"], params=SMALL)
    run(kedro_project, ["rossmann_data"])
    run(kedro_project, ["rossmann_data"], env="dask")
    default = kedro_project / "data/04_feature/rossmann"
    dask = kedro_project / "data/04_feature/rossmann_dask"
    # Written part by part by the workers, into a folder of their own
    assert len(list((dask / "train_features.parquet").glob("part.*.parquet"))) == 8
    for name in ("train_features", "test_features", "events"):
        expected = read_sorted(default / f"{name}.parquet")
        assert len(expected) > 0
        pd.testing.assert_frame_equal(read_sorted(dask / f"{name}.parquet"), expected)
