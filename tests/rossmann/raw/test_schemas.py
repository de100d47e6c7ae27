"""The declared raw schema: what the generator writes and the validation enforces."""

from __future__ import annotations

import csv

import pandas as pd
import pandera.pandas as pa
import pytest

from l6pipeline.rossmann.raw.schemas import (
    COLUMNS,
    CSV_STYLES,
    NULLABLE,
    SCHEMAS,
    STATE_NAMES,
    STORE_STATE_CODES,
    TABLES,
    TREND_SUFFIXES,
    UNIQUE,
    trend_file_for_state,
)


def test_every_table_is_declared_once():
    for mapping in (COLUMNS, NULLABLE, UNIQUE, CSV_STYLES, SCHEMAS):
        assert set(mapping) == set(TABLES)
    for table in TABLES:
        assert NULLABLE[table] <= set(COLUMNS[table])
        assert set(UNIQUE[table]) <= set(COLUMNS[table])
        assert set(CSV_STYLES[table].quoted) <= set(COLUMNS[table])


def test_schemas_are_strict_ordered_pandera_schemas():
    for table, schema in SCHEMAS.items():
        assert isinstance(schema, pa.DataFrameSchema)
        assert schema.strict is True and schema.ordered is True
        assert list(schema.columns) == list(COLUMNS[table])
        assert schema.name == f"{table}.csv"


def test_generated_tables_conform_to_the_pandera_schemas(raw_tables):
    for table, frame in raw_tables.items():
        SCHEMAS[table].validate(frame, lazy=True)


def test_trend_file_of_a_state_code():
    assert trend_file_for_state("HB,NI") == "Rossmann_DE_NI"
    assert trend_file_for_state("BY") == "Rossmann_DE_BY"
    assert {trend_file_for_state(c)[-2:] for c in STORE_STATE_CODES} <= set(TREND_SUFFIXES)


@pytest.mark.realdata
def test_declared_columns_are_the_real_headers(real_rossmann):
    for table in TABLES:
        with (real_rossmann / f"{table}.csv").open(newline="") as handle:
            header = next(csv.reader(handle))
        assert header == list(COLUMNS[table]), table


@pytest.mark.realdata
def test_declared_states_are_the_real_ones(real_rossmann):
    names = pd.read_csv(real_rossmann / "state_names.csv")
    assert dict(zip(names["StateName"], names["State"], strict=True)) == STATE_NAMES
    states = pd.read_csv(real_rossmann / "store_states.csv")
    assert set(states["State"]) == set(STORE_STATE_CODES)
    trend = pd.read_csv(real_rossmann / "googletrend.csv")
    suffixes = set(trend["file"].str.removeprefix("Rossmann_DE").str.lstrip("_")) - {""}
    assert suffixes == set(TREND_SUFFIXES)
