"""The served model's input contract: every refused request gets one sentence naming the
column, the value and the row; no fractional or out-of-range value is ever answered."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l6pipeline.rossmann.raw.errors import RawDataError
from l6pipeline.rossmann.raw.validation import validate_table
from l6pipeline.rossmann.serving.contract import (
    INPUT_COLUMNS,
    ServingInputError,
    check_rows,
    parse_columns,
    show,
)


def refusal(served, rows: pd.DataFrame) -> str:
    """The contract's message for ``rows``, checked to be one line and one sentence."""
    with pytest.raises(ServingInputError) as caught:
        served.predict(rows)
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")
    assert "test.csv" not in message and "Failed to predict" not in message
    return message


def with_value(rows: pd.DataFrame, column: str, row: int, value) -> pd.DataFrame:
    rows = rows.head(6).astype({column: object})
    rows.at[row, column] = value
    return rows


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("Store", 1.5, "column 'Store' is not a whole number: 1.5 (index 2)"),
        ("Store", 1.9999, "column 'Store' is not a whole number: 1.9999 (index 2)"),
        ("Store", 44.7, "column 'Store' is not a whole number: 44.7 (index 2)"),
        ("Promo", 0.9, "column 'Promo' is not a whole number: 0.9 (index 2)"),
        ("Store", 1e20, "column 'Store' is outside the 64-bit integer range: 1e+20 (index 2)"),
        ("Id", 2**64, "column 'Id' is outside the 64-bit integer range: 18446744073709551616"),
        ("Store", 10**400, "column 'Store' is outside the 64-bit integer range"),
        ("Store", True, "column 'Store' is not a number: True (index 2)"),
        ("Store", "1", "column 'Store' is not a number: '1' (index 2)"),
        ("Store", None, "column 'Store' is missing: null (index 2)"),
        ("Open", 2.0, "column 'Open' must be 0 or 1: 2.0 (index 2)"),
        ("Open", float("inf"), "column 'Open' is not a finite number: inf (index 2)"),
        ("DayOfWeek", 8, "column 'DayOfWeek' must be 1 (Monday) .. 7 (Sunday): 8 (index 2)"),
        ("Id", 0, "column 'Id' ids start at 1: 0 (index 2)"),
        ("StateHoliday", "x", "column 'StateHoliday' must be one of '0', 'a', 'b', 'c': 'x'"),
        ("StateHoliday", [1], "column 'StateHoliday' must be one of '0', 'a', 'b', 'c': [1]"),
        ("Date", "2015-13-01", "column 'Date' is not a date (YYYY-MM-DD): '2015-13-01'"),
        ("Date", 20150917, "column 'Date' is not a date (YYYY-MM-DD): 20150917 (index 2)"),
    ],
)
def test_a_wrong_value_is_refused_with_column_value_and_row(
    served, test_rows, column, value, expected
):
    assert expected in refusal(served, with_value(test_rows, column, 2, value))


def test_a_good_request_right_after_a_refused_one_is_answered(served, test_rows):
    refusal(served, with_value(test_rows, "Store", 0, 1.5))
    assert len(served.predict(test_rows.head(3))) == 3


def test_every_problem_is_listed_in_the_one_sentence(served, test_rows):
    rows = with_value(with_value(test_rows, "Store", 1, 44.7), "Promo", 3, 0.9)
    message = refusal(served, rows)
    assert "44.7 (index 1)" in message and "0.9 (index 3)" in message
    assert message.count("; ") == 1


def test_an_unknown_column_is_refused_not_dropped(served, test_rows):
    message = refusal(served, test_rows.head(2).assign(Customers=[5, 7]))
    assert message == (
        f"column 'Customers' is not one of the model's inputs ({', '.join(INPUT_COLUMNS)}): "
        "5 (index 0)."
    )


def test_a_missing_column_is_named(served, test_rows):
    message = refusal(served, test_rows.head(2).drop(columns=["SchoolHoliday"]))
    assert message.startswith("column(s) 'SchoolHoliday' missing")


def test_an_empty_request_says_so(served, test_rows):
    assert refusal(served, test_rows.head(0)).startswith("the request has no rows")
    assert refusal(served, pd.DataFrame()).startswith("the request has no rows")


def test_a_long_value_is_shown_cut_short_never_echoed(served, test_rows):
    message = refusal(served, with_value(test_rows, "StateHoliday", 1, "z" * 5000))
    assert "z" * 60 not in message and "(5002 characters)" in message


def test_unknown_store_far_date_and_wrong_weekday_name_rows(served, test_rows):
    rows = test_rows.head(6).copy()
    first, last = served.coverage
    late = last + pd.Timedelta(days=10)
    rows.loc[2, "Store"] = 9999
    rows.loc[4, ["Date", "DayOfWeek"]] = [f"{late:%Y-%m-%d}", late.day_of_week + 1]
    rows.loc[5, "DayOfWeek"] = rows.loc[5, "DayOfWeek"] % 7 + 1
    message = refusal(served, rows)
    assert "column 'Store' is not in the store table the model carries" in message
    assert "9999 (index 2)" in message
    assert f"({first:%Y-%m-%d}..{last:%Y-%m-%d}): {late:%Y-%m-%d} (index 4)" in message
    assert "column 'DayOfWeek' does not match Date (1 = Monday)" in message
    assert "(index 5)" in message


def test_duplicates_are_counted_in_full(served, test_rows):
    """120 (Store, Date) twice: the count is all 240 rows (ingest once stopped at 200)."""
    twice = pd.concat([test_rows.head(120), test_rows.head(120)], ignore_index=True)
    twice["Id"] = range(1, 241)
    message = refusal(served, twice)
    assert "columns 'Store' and 'Date' repeat a store's day" in message
    assert "(240 rows in all)" in message
    again = test_rows.head(3).assign(Id=[7, 8, 7])
    assert "column 'Id' repeats an id (each row needs its own): 7 (index 0), 7 (index 2)" in (
        refusal(served, again)
    )


def test_rows_read_from_a_file_are_named_by_line(served, test_rows):
    rows = with_value(test_rows, "Store", 2, 1.5)
    rows.index = pd.Index(range(2, 8), name="line")
    assert "1.5 (line 4)" in refusal(served, rows)


def test_a_non_table_input_is_refused(served):
    assert refusal(served, {"Store": [1]}).startswith("the model takes a table of rows")


def test_show_cuts_values_and_writes_null():
    assert show(None) == "null" and show(float("nan")) == "null"
    assert show("a" * 100).endswith("... (102 characters)")
    assert show(1e20) == "1e+20" and show(1.5) == "1.5"


NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=True),
    st.sampled_from([0, 1, 7, 0.0, 1.0, 2**63 - 1, 2**63, -(2**63), 0.5, 1e19]),
)


@settings(max_examples=150, deadline=None)
@given(
    column=st.sampled_from(["Id", "Store", "DayOfWeek", "Open", "Promo", "SchoolHoliday"]),
    value=NUMBERS,
)
def test_a_number_is_refused_exactly_when_ingest_refuses_it(tables, column, value):
    """Reference: ingest's validation of test.csv (pandera and exact parsing), written apart;
    here any store is known and any day covered, which ingest does not check."""
    rows = tables["test"].head(3).reset_index(drop=True).astype({column: object})
    rows.at[1, column] = value
    try:
        validate_table("test", rows)
        ingest_refuses = False
    except RawDataError:
        ingest_refuses = True
    request = rows.assign(Date=rows["Date"].dt.strftime("%Y-%m-%d"))
    try:
        parsed = parse_columns(request)
        check_rows(parsed, parsed["Store"].unique(), (pd.Timestamp.min, pd.Timestamp.max))
        contract_refuses = False
    except ServingInputError:
        contract_refuses = True
    assert contract_refuses == ingest_refuses
