"""The vectorized feature tables agree exactly with the plain-loop reference (reference.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l6pipeline.pipelines.rossmann_data import build_feature_tables
from l6pipeline.rossmann.features.dates import DATEPART_COLUMNS
from l6pipeline.rossmann.features.events import event_feature_columns
from l6pipeline.rossmann.features.recent import recent_sales_columns

from . import reference
from .synthetic_tables import make_tables

COMPETITION = [
    "CompetitionOpenSince",
    "CompetitionDaysOpen",
    "CompetitionMonthsOpen",
    "Promo2Since",
    "Promo2Days",
    "Promo2Weeks",
]


def expected_columns(tables: dict[str, pd.DataFrame], split: str) -> list[str]:
    weather = [c for c in tables["weather"].columns if c not in ("file", "Date")]
    store = [c for c in tables["store"].columns if c != "Store"]
    return [
        *tables[split].columns,
        *DATEPART_COLUMNS,
        *store,
        "State",
        "trend",
        "trend_DE",
        *weather,
        *COMPETITION,
        *event_feature_columns(),
        *recent_sales_columns((28, 91, 365)),
    ]


def assert_matches_reference(actual: pd.DataFrame, rows: list[dict]) -> None:
    expected = pd.DataFrame(rows, columns=list(rows[0]))
    assert set(expected.columns) == set(actual.columns)
    expected = expected[actual.columns]
    assert len(expected) == len(actual)
    for col in actual.columns:
        got = actual[col]
        if pd.api.types.is_datetime64_any_dtype(got):
            want = pd.to_datetime(expected[col]).astype(got.dtype)
        else:
            want = expected[col].astype(got.dtype)
        # Means of logs: a rolling sum and a loop's sum differ in the last bits.
        exact = not pd.api.types.is_float_dtype(got)
        pd.testing.assert_series_equal(
            got.reset_index(drop=True),
            want.reset_index(drop=True),
            obj=col,
            check_exact=exact,
            **({} if exact else {"rtol": 1e-9, "atol": 1e-12}),
        )


@pytest.mark.parametrize("alignment", ["google_week", "fastai"])
@pytest.mark.parametrize("seed", [0, 1])
def test_feature_tables_match_the_loop_reference(seed, alignment):
    tables = make_tables(seed=seed)
    train, test = build_feature_tables(tables, alignment)
    assert_matches_reference(train, reference.feature_rows(tables, "train", alignment))
    assert_matches_reference(test, reference.feature_rows(tables, "test", alignment))


def test_feature_columns_and_dtypes():
    tables = make_tables(seed=3)
    train, test = build_feature_tables(tables)
    assert list(train.columns) == expected_columns(tables, "train")
    assert list(test.columns) == expected_columns(tables, "test")
    assert "Id" in test and "Sales" not in test and "Customers" not in test
    for frame in (train, test):
        assert not [c for c in frame.columns if c.endswith(("_y", "_x")) or c == "index"]
        assert [c for c in frame.columns if c.endswith("_DE")] == ["trend_DE"]
        assert isinstance(frame.index, pd.RangeIndex)
        assert frame["StateHoliday"].dtype == bool
        integer = [
            *(c for c in DATEPART_COLUMNS if not c.startswith("Is_")),
            "trend",
            "trend_DE",
            "CompetitionOpenSinceYear",
            "CompetitionOpenSinceMonth",
            "Promo2SinceYear",
            "Promo2SinceWeek",
            *COMPETITION[1:3],
            *COMPETITION[4:],
            *event_feature_columns(),
        ]
        for col in integer:
            assert frame[col].dtype == np.int64, col
        for col in DATEPART_COLUMNS:
            if col.startswith("Is_"):
                assert frame[col].dtype == bool, col


def test_training_table_keeps_only_rows_with_sales():
    tables = make_tables(seed=4)
    train, test = build_feature_tables(tables)
    assert len(train) == int((tables["train"]["Sales"] != 0).sum())
    assert (train["Sales"] != 0).all()
    assert len(test) == len(tables["test"])
    assert test["Id"].tolist() == tables["test"]["Id"].tolist()
