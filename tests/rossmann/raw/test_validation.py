"""Validation at the boundary: each corruption is rejected with file, column and values."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from l6pipeline.rossmann import RawDataError
from l6pipeline.rossmann.raw.schemas import COLUMNS, TABLES
from l6pipeline.rossmann.raw.validation import validate_raw_tables, validate_table, validate_tables
from tests.rossmann.conftest import read_raw_tables

Tables = dict[str, pd.DataFrame]


def _set(table: str, column: str, line: int, value: str) -> Callable[[Tables], None]:
    def corrupt(tables: Tables) -> None:
        tables[table].loc[line, column] = value

    return corrupt


def _drop_column(table: str, column: str) -> Callable[[Tables], None]:
    def corrupt(tables: Tables) -> None:
        tables[table] = tables[table].drop(columns=column)

    return corrupt


def _duplicate_train_row(tables: Tables) -> None:
    train = tables["train"]
    copy = train.loc[[5]].set_axis(pd.Index([len(train) + 2], name="line"))
    tables["train"] = pd.concat([train, copy])


def _duplicate_test_id(tables: Tables) -> None:
    tables["test"].loc[3, "Id"] = tables["test"].loc[2, "Id"]


def _promo2_off(tables: Tables) -> None:
    store = tables["store"]
    store.loc[store.index[store["Promo2"] == "1"][0], "Promo2"] = "0"


def _duplicate_store(tables: Tables) -> None:
    store = tables["store"]
    copy = store.iloc[[1]].set_axis(pd.Index([len(store) + 2], name="line"))
    tables["store"] = pd.concat([store, copy])


def _drop_store(tables: Tables) -> None:
    store = tables["store"]
    tables["store"] = store[store["Store"] != "3"]


def _drop_store_state(tables: Tables) -> None:
    states = tables["store_states"]
    tables["store_states"] = states[states["Store"] != "4"]


def _drop_weather_state(tables: Tables) -> None:
    code = tables["store_states"]["State"].iloc[0]
    names = tables["state_names"]
    name = names.loc[names["State"] == code, "StateName"].iloc[0]
    weather = tables["weather"]
    tables["weather"] = weather[weather["file"] != name]


def _drop_trend_state(tables: Tables) -> None:
    code = tables["store_states"]["State"].iloc[0]
    trend = tables["googletrend"]
    tables["googletrend"] = trend[trend["file"] != f"Rossmann_DE_{code.split(',')[-1]}"]


def _drop_trend_week(tables: Tables) -> None:
    trend = tables["googletrend"]
    national = trend.index[trend["file"] == "Rossmann_DE"]
    tables["googletrend"] = trend.drop(index=national[len(national) // 2])


def _drop_weather_day(tables: Tables) -> None:
    weather = tables["weather"]
    tables["weather"] = weather.drop(index=weather.index[40])


def _swap_columns(tables: Tables) -> None:
    columns = list(tables["store"].columns)
    columns[1], columns[2] = columns[2], columns[1]
    tables["store"] = tables["store"][columns]


def _extra_column(tables: Tables) -> None:
    tables["train"] = tables["train"].assign(Comment="x")


def _empty_table(tables: Tables) -> None:
    tables["state_names"] = tables["state_names"].iloc[:0]


# (id, corruption, substrings the message must contain: file, column, offending value/line)
CORRUPTIONS = [
    (
        "missing column",
        _drop_column("train", "Customers"),
        ["train.csv", "missing column", "'Customers'"],
    ),
    (
        "wrong type",
        _set("train", "Sales", 7, "12x"),
        ["train.csv, column 'Sales'", "not a number", "'12x' (line 7)"],
    ),
    (
        "not an integer",
        _set("train", "Customers", 9, "3.5"),
        ["train.csv, column 'Customers'", "not an integer", "'3.5' (line 9)"],
    ),
    (
        "unknown StoreType",
        _set("store", "StoreType", 4, "e"),
        ["store.csv, column 'StoreType'", "a, b, c, d", "'e' (line 4)"],
    ),
    (
        "unknown Assortment",
        _set("store", "Assortment", 5, "z"),
        ["store.csv, column 'Assortment'", "'z' (line 5)"],
    ),
    (
        "negative Sales",
        _set("train", "Sales", 11, "-5"),
        ["train.csv, column 'Sales'", ">= 0", "-5 (line 11)"],
    ),
    (
        "negative Customers",
        _set("train", "Customers", 12, "-1"),
        ["train.csv, column 'Customers'", "-1 (line 12)"],
    ),
    (
        "duplicate (Store, Date)",
        _duplicate_train_row,
        ["train.csv", "duplicate (Store, Date) in 2 rows", "at lines 5, "],
    ),
    (
        "duplicate Id",
        _duplicate_test_id,
        ["test.csv, column 'Id'", "duplicate", "1 (line 2), 1 (line 3)"],
    ),
    (
        "unparseable date",
        _set("train", "Date", 6, "2015-02-30"),
        ["train.csv, column 'Date'", "not a date", "'2015-02-30' (line 6)"],
    ),
    (
        "bad date format",
        _set("weather", "Date", 3, "01/02/2014"),
        ["weather.csv, column 'Date'", "'01/02/2014' (line 3)"],
    ),
    (
        "bad StateHoliday",
        _set("train", "StateHoliday", 8, "x"),
        ["train.csv, column 'StateHoliday'", "'0', 'a', 'b', 'c'", "'x' (line 8)"],
    ),
    (
        "Open not binary",
        _set("train", "Open", 10, "2"),
        ["train.csv, column 'Open'", "0 or 1", "2 (line 10)"],
    ),
    (
        "missing Sales",
        _set("train", "Sales", 13, ""),
        ["train.csv, column 'Sales'", "missing value", "line 13"],
    ),
    (
        "duplicate store",
        _duplicate_store,
        ["store.csv", "duplicate Store in 2 rows: (2) at lines 3, "],
    ),
    (
        "store missing from store.csv",
        _drop_store,
        ["train.csv, column 'Store'", "missing from store.csv: 3"],
    ),
    (
        "store missing from store_states.csv",
        _drop_store_state,
        ["column 'Store'", "missing from store_states.csv: 4"],
    ),
    (
        "state missing from weather",
        _drop_weather_state,
        ["weather.csv, column 'file'", "no weather for state"],
    ),
    ("weather day missing", _drop_weather_day, ["weather.csv, column 'Date'", "no weather row"]),
    (
        "state missing from trend",
        _drop_trend_state,
        ["googletrend.csv, column 'file'", "Rossmann_DE_"],
    ),
    (
        "trend week missing",
        _drop_trend_week,
        [
            "googletrend.csv, column 'week'",
            "1 week of train/test dates missing: Rossmann_DE week of",
        ],
    ),
    (
        "bad trend week",
        _set("googletrend", "week", 5, "2014-01-06 - 2014-01-12"),
        ["googletrend.csv, column 'week'", "Sunday-Saturday", "line 5"],
    ),
    ("columns out of order", _swap_columns, ["store.csv", "out of order"]),
    ("unexpected column", _extra_column, ["train.csv", "unexpected column", "'Comment'"]),
    (
        "DayOfWeek disagrees with Date",
        _set("train", "DayOfWeek", 2, "1"),
        ["train.csv, column 'DayOfWeek'", "does not match Date", "line 2"],
    ),
    (
        "PromoInterval without Promo2",
        _promo2_off,
        ["store.csv, column 'Promo2'", "exactly when Promo2 = 1", "(line "],
    ),
    ("no rows", _empty_table, ["state_names.csv", "no data rows"]),
]


@pytest.mark.parametrize(
    ("corrupt", "expected"),
    [pytest.param(corrupt, expected, id=name) for name, corrupt, expected in CORRUPTIONS],
)
def test_corruption_is_rejected_with_a_clear_message(raw_text_tables, corrupt, expected):
    corrupt(raw_text_tables)
    with pytest.raises(RawDataError) as caught:
        validate_tables(raw_text_tables)
    message = str(caught.value)
    for part in expected:
        assert part in message, f"{part!r} not in:\n{message}"
    assert message.startswith("The raw Rossmann data failed validation")


def test_every_problem_is_reported_at_once(raw_text_tables):
    _set("train", "Sales", 7, "abc")(raw_text_tables)
    _set("store", "StoreType", 3, "q")(raw_text_tables)
    _set("test", "Open", 4, "7")(raw_text_tables)
    with pytest.raises(RawDataError) as caught:
        validate_tables(raw_text_tables)
    assert len(caught.value.problems) == 3
    assert {"train.csv", "store.csv", "test.csv"} <= {
        problem.split(",")[0] for problem in caught.value.problems
    }


def test_many_bad_values_are_summarised(raw_text_tables):
    raw_text_tables["train"].loc[2:400, "Sales"] = "-1"
    with pytest.raises(RawDataError) as caught:
        validate_tables(raw_text_tables)
    (problem,) = caught.value.problems
    assert "(399 rows in all)" in problem
    assert len(problem) < 300


def test_typed_frames_name_the_index_instead_of_a_line(raw_tables):
    raw_tables["train"].loc[4, "Sales"] = -3
    with pytest.raises(RawDataError, match=r"-3 \(index 4\)"):
        validate_tables(raw_tables)


def test_validated_tables_follow_the_contract(validated_tables):
    for table in TABLES:
        frame = validated_tables[table]
        assert {c: str(t) for c, t in frame.dtypes.items()} == COLUMNS[table], table
        assert isinstance(frame.index, pd.RangeIndex)
    store = validated_tables["store"]
    assert store["PromoInterval"].isna().any() and not (store["PromoInterval"] == "").any()
    assert validated_tables["test"]["Open"].isna().any()
    weather = validated_tables["weather"]
    assert weather["Events"].isna().any() and not (weather["Events"] == "").any()


def test_state_holiday_int_and_str_mix_is_normalised(validated_tables):
    train = validated_tables["train"].copy()
    mixed = train["StateHoliday"].astype(object)
    mixed[mixed == "0"] = 0  # what pandas makes of unquoted zeros read in chunks
    train["StateHoliday"] = mixed
    out = validate_table("train", train)
    assert out["StateHoliday"].dtype == "str"
    assert set(out["StateHoliday"]) <= {"0", "a", "b", "c"}
    assert (out["StateHoliday"] == validated_tables["train"]["StateHoliday"]).all()


def test_na_spellings_become_nan(raw_text_tables):
    raw_text_tables["weather"].loc[2, "CloudCover"] = "NA"
    raw_text_tables["weather"].loc[3, "CloudCover"] = ""
    out = validate_tables(raw_text_tables)["weather"]
    assert np.isnan(out.loc[0, "CloudCover"]) and np.isnan(out.loc[1, "CloudCover"])


def test_validate_raw_tables_is_the_node_signature(raw_text_tables):
    out = validate_raw_tables(**raw_text_tables)
    assert list(out) == list(TABLES)


# -- the real files (tests/conftest.py) ----------------------------------------------------------------


@pytest.mark.realdata
def test_the_real_files_pass(real_rossmann):
    validated = validate_tables(read_raw_tables(real_rossmann))
    for table in TABLES:
        frame = validated[table]
        assert {c: str(t) for c, t in frame.dtypes.items()} == COLUMNS[table], table
    assert len(validated["train"]) == 969_264
    assert validated["test"]["Open"].isna().sum() == 11
    store = validated["store"]
    assert store["PromoInterval"].isna().sum() == 544
    assert store["CompetitionDistance"].isna().sum() == 3
    assert set(validated["train"]["StateHoliday"]) == {"0", "a", "b", "c"}
    assert validated["weather"]["Events"].isna().sum() == 3951
    assert "HB,NI" in set(validated["store_states"]["State"])
