"""Numbers that parse but must not pass: non-finite floats and integers beyond int64.

Every message quotes the text as it stands in the file (never a parser's stand-in such as an
overflowed integer), with the file, the column and the line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l6pipeline.rossmann import RawDataError
from l6pipeline.rossmann.raw.validation import validate_table, validate_tables

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def rejection(tables: dict[str, pd.DataFrame]) -> str:
    with pytest.raises(RawDataError) as caught:
        validate_tables(tables)
    return str(caught.value)


# -- non-finite --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["inf", "-inf", "+Infinity", "nan", "NaN", "1e999", "-1e400"])
def test_a_non_finite_float_is_rejected_quoting_the_text(raw_text_tables, text):
    raw_text_tables["store"].loc[3, "CompetitionDistance"] = text
    message = rejection(raw_text_tables)
    assert (
        f"store.csv, column 'CompetitionDistance': not a finite number: {text!r} (line 3)"
        in message
    )
    assert "a missing value is an empty field (or NA)" in message  # what to write instead
    assert message.count("\n  - ") == 1  # one problem: no second report of a stand-in value


def test_non_finite_weather_values_are_listed_with_their_lines(raw_text_tables):
    weather = raw_text_tables["weather"]
    lines = weather.index[[0, 5, 9]]
    weather.loc[lines, "Max_TemperatureC"] = ["inf", "-inf", "nan"]
    message = rejection(raw_text_tables)
    expected = ", ".join(
        f"{text!r} (line {line})" for text, line in zip(["inf", "-inf", "nan"], lines, strict=True)
    )
    assert f"weather.csv, column 'Max_TemperatureC': not a finite number: {expected}" in message


def test_inf_in_an_integer_column_is_not_a_finite_number(raw_text_tables):
    raw_text_tables["train"].loc[6, "Sales"] = "inf"
    message = rejection(raw_text_tables)
    assert "train.csv, column 'Sales': not a finite number: 'inf' (line 6)" in message
    assert "not an integer" not in message


def test_the_na_spellings_stay_missing_values(raw_text_tables):
    """``""`` and ``NA`` are how the files spell missing: not confused with ``nan`` text."""
    weather = raw_text_tables["weather"]
    weather.loc[weather.index[:2], "Max_TemperatureC"] = ["", "NA"]
    validated = validate_tables(raw_text_tables)["weather"]["Max_TemperatureC"]
    assert validated.iloc[:2].isna().all()


def test_typed_frames_with_inf_are_rejected_too(raw_tables):
    raw_tables["store"].loc[2, "CompetitionDistance"] = np.inf
    message = rejection(raw_tables)
    assert "store.csv, column 'CompetitionDistance': not a finite number: inf (index 2)" in message


# -- integer range -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["9223372036854775808", "-9223372036854775809", "99999999999999999999", "1e20"]
)
def test_an_integer_beyond_int64_is_quoted_as_written(raw_text_tables, text):
    raw_text_tables["train"].loc[8, "Customers"] = text
    message = rejection(raw_text_tables)
    assert (
        f"train.csv, column 'Customers': outside the 64-bit integer range "
        f"(-2**63 .. 2**63 - 1): {text!r} (line 8)" in message
    )
    for stand_in in (str(INT64_MIN), str(INT64_MAX), "e+"):  # what an overflowed parse shows
        assert stand_in not in message
    assert message.count("\n  - ") == 1


def _train_with_customers(raw_text_tables, text: str) -> pd.DataFrame:
    train = raw_text_tables["train"].copy()
    train.loc[train.index[0], "Customers"] = text
    return train


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.integers(0, INT64_MAX))
def test_every_int64_is_read_exactly(raw_text_tables, value):
    """Above 2**53 a float cannot hold every integer; the value must still come out exact."""
    train = validate_table("train", _train_with_customers(raw_text_tables, str(value)))
    assert int(train["Customers"].iloc[0]) == value


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.integers(INT64_MAX + 1, 10**40) | st.integers(-(10**40), INT64_MIN - 1))
def test_every_integer_beyond_int64_is_rejected_as_written(raw_text_tables, value):
    train = _train_with_customers(raw_text_tables, str(value))
    with pytest.raises(RawDataError) as caught:
        validate_table("train", train)
    assert f"outside the 64-bit integer range (-2**63 .. 2**63 - 1): '{value}' (line 2)" in str(
        caught.value
    )
