"""``rossmann_ingest``: one validation node between the raw and the intermediate layer."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from l6pipeline.pipelines.rossmann_ingest import create_pipeline
from l6pipeline.rossmann import RawDataError
from l6pipeline.rossmann.raw.schemas import COLUMNS, TABLES
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from tests.conftest import run_kedro
from tests.rossmann.conftest import SMALL_PARAMS, write_raw_tables

VALIDATED = "data/02_intermediate/rossmann"
VALIDATED_KAGGLE = "data/02_intermediate/rossmann_kaggle"  # real-data outputs, apart


def validated(project: Path, folder: str = VALIDATED) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(project / folder / f"{t}.parquet") for t in TABLES}


def test_one_node_from_all_raw_to_all_validated_tables():
    pipe = create_pipeline()
    (node,) = pipe.nodes
    assert node.name == "validate_raw_tables"
    assert pipe.inputs() == {f"raw_{t}" for t in TABLES}
    assert pipe.outputs() == {f"validated_{t}" for t in TABLES}


@pytest.mark.slow
def test_generate_then_ingest_end_to_end(kedro_project):
    run_kedro(kedro_project, ["rossmann_synthetic"], params={"rossmann_synthetic": SMALL_PARAMS})
    raw = kedro_project / "data/01_raw/synthetic"
    assert sorted(path.name for path in raw.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    run_kedro(kedro_project, ["rossmann_ingest"])
    tables = validated(kedro_project)
    expected = generate_rossmann(SMALL_PARAMS)
    for table in TABLES:
        assert {c: str(t) for c, t in tables[table].dtypes.items()} == COLUMNS[table], table
        pd.testing.assert_frame_equal(tables[table], expected[table], check_exact=True)


@pytest.mark.slow
def test_bad_input_stops_the_run_before_anything_is_written(kedro_project):
    tables = generate_rossmann(SMALL_PARAMS)
    tables["train"].loc[3, "Sales"] = -7
    write_raw_tables(tables, kedro_project / "data/01_raw/synthetic")
    with pytest.raises(
        RawDataError, match=r"train\.csv, column 'Sales': must be >= 0: -7 \(line 5\)"
    ):
        run_kedro(kedro_project, ["rossmann_ingest"])
    assert not (kedro_project / VALIDATED).exists()


@pytest.mark.slow
def test_kaggle_env_ingests_files_in_the_rossmann_folder(kedro_project):
    write_raw_tables(generate_rossmann(SMALL_PARAMS), kedro_project / "data/01_raw/rossmann")
    run_kedro(kedro_project, ["rossmann_ingest"], env="kaggle")
    assert len(validated(kedro_project, VALIDATED_KAGGLE)["store"]) == SMALL_PARAMS["n_stores"]
    assert not (kedro_project / VALIDATED).exists()  # synthetic outputs are not touched


@pytest.mark.slow
@pytest.mark.realdata
def test_kaggle_env_ingests_the_real_files(kedro_project, real_rossmann):
    folder = kedro_project / "data/01_raw/rossmann"
    folder.mkdir(parents=True)
    for table in TABLES:
        os.symlink(real_rossmann / f"{table}.csv", folder / f"{table}.csv")
    run_kedro(kedro_project, ["rossmann_ingest"], env="kaggle")
    tables = validated(kedro_project, VALIDATED_KAGGLE)
    assert len(tables["train"]) == 969_264 and len(tables["test"]) == 41_088
    for table in TABLES:
        assert {c: str(t) for c, t in tables[table].dtypes.items()} == COLUMNS[table], table
