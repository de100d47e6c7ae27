"""Small raw Rossmann tables for tests (stable: other test modules import these).

- ``SMALL_PARAMS``: generator parameters of a small data set (12 stores, Sep 2014 - Jan 2015, so
  that a Christmas, a refurbishment gap and every state occur).
- ``raw_tables``: the generator's seven tables (typed, the validated dtypes).
- ``raw_csv_dir``: a folder with the seven CSV files in the Kaggle / fast.ai format.
- ``raw_text_tables``: those files read back as the raw datasets load them (text, line index).
- ``validated_tables``: the validated tables (what ``validated_*`` holds).
- ``write_raw_tables(tables, folder)``: write tables as the raw CSV files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pytest

from l6pipeline.rossmann.raw.csv_files import read_raw_csv, write_raw_csv
from l6pipeline.rossmann.raw.schemas import TABLES, file_name
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from l6pipeline.rossmann.raw.validation import validate_tables

SMALL_PARAMS: dict = {
    "n_stores": 12,
    "start_date": "2014-09-01",
    "end_date": "2015-01-31",
    "test_days": 14,
    "seed": 7,
    "refurbished_fraction": 0.2,
}


def write_raw_tables(tables: Mapping[str, pd.DataFrame], folder: Path) -> Path:
    """Write the tables as ``<table>.csv`` files in ``folder`` (real formats); return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, frame in tables.items():
        write_raw_csv(frame, folder / file_name(table), table)
    return folder


def read_raw_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The seven raw tables of ``folder`` as the raw datasets load them."""
    return {table: read_raw_csv(folder / file_name(table)) for table in TABLES}


@pytest.fixture
def raw_tables() -> dict[str, pd.DataFrame]:
    return generate_rossmann(SMALL_PARAMS)


@pytest.fixture
def raw_csv_dir(raw_tables: dict[str, pd.DataFrame], tmp_path: Path) -> Path:
    return write_raw_tables(raw_tables, tmp_path / "raw")


@pytest.fixture
def raw_text_tables(raw_csv_dir: Path) -> dict[str, pd.DataFrame]:
    return read_raw_tables(raw_csv_dir)


@pytest.fixture
def validated_tables(raw_text_tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return validate_tables(raw_text_tables)
