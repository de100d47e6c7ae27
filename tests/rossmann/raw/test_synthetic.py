"""The synthetic generator: real schema and file format, determinism, learnable structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l6pipeline.rossmann.raw.schemas import (
    COLUMNS,
    PROMO_INTERVALS,
    STATE_HOLIDAYS,
    STATE_NAMES,
    STORE_STATE_CODES,
    STORE_TYPES,
    TABLES,
    TREND_SUFFIXES,
)
from l6pipeline.rossmann.raw.synthetic import SyntheticConfig, generate_rossmann
from l6pipeline.rossmann.raw.validation import validate_tables
from tests.rossmann.conftest import SMALL_PARAMS, read_raw_tables, write_raw_tables


@pytest.fixture(scope="module")
def default_tables() -> dict[str, pd.DataFrame]:
    """The default data set of `make run` (60 stores, 2013-01-01 .. 2015-07-31)."""
    return generate_rossmann(SyntheticConfig())


@pytest.fixture(scope="module")
def open_days(default_tables) -> pd.DataFrame:
    train = default_tables["train"]
    return train[train["Open"] == 1]


# -- schema and format -------------------------------------------------------------------------


def test_tables_have_the_declared_columns_order_and_dtypes(raw_tables):
    assert list(raw_tables) == list(TABLES)
    for table, frame in raw_tables.items():
        assert list(frame.columns) == list(COLUMNS[table]), table
        assert {c: str(t) for c, t in frame.dtypes.items()} == COLUMNS[table], table


def test_generated_tables_pass_validation_unchanged(raw_tables):
    validated = validate_tables(raw_tables)
    for table in TABLES:
        pd.testing.assert_frame_equal(validated[table], raw_tables[table], check_exact=True)


def test_csv_round_trip_gives_the_same_validated_tables(raw_tables, raw_text_tables):
    from_csv = validate_tables(raw_text_tables)
    for table in TABLES:
        pd.testing.assert_frame_equal(from_csv[table], raw_tables[table], check_exact=True)


def test_files_use_the_real_formats(raw_csv_dir):
    def text(name: str) -> str:
        return (raw_csv_dir / name).read_bytes().decode()

    train = text("train.csv").splitlines()
    assert train[0] == (
        '"Store","DayOfWeek","Date","Sales","Customers","Open","Promo","StateHoliday",'
        '"SchoolHoliday"'
    )
    assert train[1].endswith(('"0","0"', '"0","1"', '"a","0"', '"a","1"', '"b","0"', '"b","1"'))
    test_lines = text("test.csv").splitlines()
    assert any(line.split(",")[4] == "" for line in test_lines[1:])  # missing Open: empty
    store = text("store.csv")
    assert ',,,""\n' in store  # no Promo2: empty numbers, quoted empty PromoInterval
    assert '"Jan,Apr,Jul,Oct"' in store or '"Feb,May,Aug,Nov"' in store
    assert text("store_states.csv").startswith("Store,State\r\n")  # Windows line ends
    weather = text("weather.csv")
    assert weather.startswith('file,"Date","Max_TemperatureC"')
    assert weather.endswith("\n\n") and weather.count("\n\n") == len(STATE_NAMES)
    assert ",NA," in weather and ',"",' in weather
    trend = text("googletrend.csv")
    assert trend.startswith("file,week,trend\nRossmann_DE_SN,")
    assert trend.count("\n\n") == 1  # after the national block, as in the real file


@pytest.mark.realdata
def test_files_look_like_the_real_ones(raw_csv_dir, real_rossmann):
    """Same header bytes and line ends as the real files; same value codes."""
    for table in TABLES:
        ours = (raw_csv_dir / f"{table}.csv").read_bytes()
        real = (real_rossmann / f"{table}.csv").read_bytes()
        assert ours.split(b"\n", 1)[0] == real.split(b"\n", 1)[0], table
    assert (raw_csv_dir / "state_names.csv").read_bytes() == (
        real_rossmann / "state_names.csv"
    ).read_bytes()


@pytest.mark.realdata
def test_validated_schema_equals_the_real_one(raw_tables, real_rossmann):
    real = validate_tables(read_raw_tables(real_rossmann))
    ours = validate_tables(generate_rossmann({**SMALL_PARAMS, "n_stores": 40}))
    for table in TABLES:
        assert list(ours[table].columns) == list(real[table].columns), table
        assert ours[table].dtypes.to_dict() == real[table].dtypes.to_dict(), table
    assert set(ours["store_states"]["State"]) == set(real["store_states"]["State"])
    assert set(ours["googletrend"]["file"]) == set(real["googletrend"]["file"])
    assert set(ours["weather"]["file"]) == set(real["weather"]["file"])
    pd.testing.assert_frame_equal(ours["state_names"], real["state_names"])
    for column in ("StoreType", "Assortment"):
        assert set(ours["store"][column]) <= set(real["store"][column])
    assert set(ours["store"]["PromoInterval"].dropna()) == set(
        real["store"]["PromoInterval"].dropna()
    )


def test_value_codes_and_quirks(default_tables):
    train, test, store = default_tables["train"], default_tables["test"], default_tables["store"]
    assert set(train["StateHoliday"]) == set(STATE_HOLIDAYS)
    assert set(store["StoreType"]) == set(STORE_TYPES)
    assert set(store["PromoInterval"].dropna()) == set(PROMO_INTERVALS)
    assert store["CompetitionDistance"].isna().any()
    assert store["CompetitionOpenSinceYear"].isna().any()
    assert (store["Promo2SinceWeek"].isna() == (store["Promo2"] == 0)).all()
    assert 0 < test["Open"].isna().sum() <= 11
    assert set(default_tables["store_states"]["State"]) == set(STORE_STATE_CODES)
    assert set(default_tables["googletrend"]["file"]) == {
        "Rossmann_DE",
        *(f"Rossmann_DE_{s}" for s in TREND_SUFFIXES),
    }
    weeks = default_tables["googletrend"]["week"].str.split(" - ", expand=True)
    sundays, saturdays = pd.to_datetime(weeks[0]), pd.to_datetime(weeks[1])
    assert (sundays.dt.day_of_week == 6).all() and ((saturdays - sundays).dt.days == 6).all()
    days = pd.date_range("2013-01-01", pd.Timestamp("2015-07-31") + pd.Timedelta(days=48))
    assert len(default_tables["weather"]) == len(STATE_NAMES) * len(days)
    assert test["Date"].min() == pd.Timestamp("2015-08-01") and test["Date"].nunique() == 48
    # Kaggle's row order: newest date first, stores ascending within a date; Ids in that order.
    assert train["Date"].is_monotonic_decreasing
    assert test["Id"].tolist() == list(range(1, len(test) + 1))


def test_refurbishment_gaps_in_2014(default_tables):
    counts = default_tables["train"].groupby("Store").size()
    full = counts.max()
    gapped = counts[counts < full]
    assert 0.05 < len(gapped) / len(counts) < 0.3
    assert set(full - gapped) == {184}  # 2014-07-01 .. 2014-12-31
    store = gapped.index[0]
    dates = default_tables["train"].loc[lambda t: t["Store"] == store, "Date"]
    missing = pd.date_range("2013-01-01", "2015-07-31").difference(dates)
    assert missing.min() == pd.Timestamp("2014-07-01")
    assert missing.max() == pd.Timestamp("2014-12-31")


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_same_tables():
    first, second = generate_rossmann(SMALL_PARAMS), generate_rossmann(SMALL_PARAMS)
    for table in TABLES:
        pd.testing.assert_frame_equal(first[table], second[table], check_exact=True)


def test_different_seeds_differ():
    first = generate_rossmann(SMALL_PARAMS)
    other = generate_rossmann({**SMALL_PARAMS, "seed": SMALL_PARAMS["seed"] + 1})
    for table in ("train", "store", "weather", "googletrend"):
        assert not first[table].equals(other[table]), table


def test_same_files_for_the_same_seed(tmp_path):
    one = write_raw_tables(generate_rossmann(SMALL_PARAMS), tmp_path / "one")
    two = write_raw_tables(generate_rossmann(SMALL_PARAMS), tmp_path / "two")
    for table in TABLES:
        assert (one / f"{table}.csv").read_bytes() == (two / f"{table}.csv").read_bytes()


def test_unknown_or_invalid_parameters_are_refused():
    with pytest.raises(ValueError, match="unknown rossmann_synthetic parameter"):
        SyntheticConfig.from_params({"n_store": 3})
    with pytest.raises(ValueError, match="n_stores"):
        SyntheticConfig.from_params({"n_stores": 0})
    with pytest.raises(ValueError, match="end_date"):
        SyntheticConfig.from_params({"start_date": "2015-01-01", "end_date": "2014-01-01"})


def test_tiny_data_sets_still_validate():
    for n_stores in (1, 3):
        tables = generate_rossmann({"n_stores": n_stores, "end_date": "2013-03-01", "seed": 1})
        validate_tables(tables)


# -- learnable structure ---------------------------------------------------------------------


def test_promo_days_sell_more(open_days):
    weekdays = open_days[open_days["DayOfWeek"] <= 5]
    means = weekdays.groupby("Promo")["Sales"].mean()
    assert means[1] > 1.15 * means[0]


def test_sundays_mostly_closed_but_some_stores_open(open_days, default_tables):
    train = default_tables["train"]
    sundays = train[train["DayOfWeek"] == 7]
    assert sundays["Open"].mean() < 0.1
    assert sundays.loc[sundays["Open"] == 1, "Store"].nunique() >= 1
    weekdays = train[train["DayOfWeek"] < 7]
    assert weekdays["Open"].mean() > 0.9
    assert (train.loc[train["Open"] == 0, ["Sales", "Customers"]] == 0).all().all()


def test_christmas_peak(open_days):
    month, day = open_days["Date"].dt.month, open_days["Date"].dt.day
    run_up = open_days.loc[(month == 12) & day.between(14, 23), "Sales"].mean()
    november = open_days.loc[month == 11, "Sales"].mean()
    assert run_up > 1.25 * november


def test_customers_follow_sales(open_days):
    assert np.corrcoef(open_days["Sales"], open_days["Customers"])[0, 1] > 0.8
    assert (open_days["Customers"] > 0).all()


def test_store_types_and_levels_differ():
    tables = generate_rossmann({"n_stores": 600, "end_date": "2013-12-31", "seed": 5})
    train, store = tables["train"], tables["store"].set_index("Store")
    per_store = train[train["Open"] == 1].groupby("Store")["Sales"].mean()
    assert per_store.max() > 2 * per_store.min()  # log-normal levels
    by_type = per_store.groupby(store["StoreType"]).mean()
    assert by_type["b"] > 1.2 * by_type[["a", "c", "d"]].max()  # as in the real data


def test_holidays_differ_by_state(default_tables):
    train = default_tables["train"].merge(default_tables["store_states"], on="Store")
    per_state = train.groupby(["Date", "State"])["StateHoliday"].first().unstack()
    epiphany = per_state.loc[pd.Timestamp("2014-01-06")]
    assert set(epiphany[epiphany == "a"].index) == {"BW", "BY", "ST"}
    assert (per_state.loc[pd.Timestamp("2014-12-25")] == "c").all()
    assert (per_state.loc[pd.Timestamp("2014-04-18")] == "b").all()  # Good Friday
    school = train.groupby(["Date", "State"])["SchoolHoliday"].first().unstack()
    july = school.loc["2014-07"].mean()
    assert july.max() - july.min() > 0.3  # summer holidays are staggered between states
    assert school.loc[pd.Timestamp("2014-12-29")].all()  # Christmas holidays everywhere


def test_state_holidays_close_stores(default_tables):
    train = default_tables["train"]
    weekday = train[train["DayOfWeek"] < 7]
    open_share = weekday.groupby(weekday["StateHoliday"] != "0")["Open"].mean()
    assert open_share[True] < 0.2
    assert open_share[False] > 0.9


def test_competitors_opening_lower_sales():
    tables = generate_rossmann({"n_stores": 300, "seed": 3, "refurbished_fraction": 0})
    train, store = tables["train"], tables["store"]
    opened = pd.to_datetime(
        {
            "year": store["CompetitionOpenSinceYear"],
            "month": store["CompetitionOpenSinceMonth"],
            "day": 1,
        },
        errors="coerce",
    )
    near = store["CompetitionDistance"] < 1500
    inside = near & opened.between(pd.Timestamp("2013-07-01"), pd.Timestamp("2015-01-01"))
    assert inside.sum() >= 3
    open_rows = train[train["Open"] == 1].merge(
        pd.DataFrame({"Store": store["Store"], "opened": opened}), on="Store"
    )
    ratios = []
    for store_id, when in zip(store.loc[inside, "Store"], opened[inside], strict=True):
        rows = open_rows[open_rows["Store"] == store_id]
        before = rows.loc[rows["Date"].between(when - pd.Timedelta(days=90), when), "Sales"]
        after = rows.loc[rows["Date"].between(when, when + pd.Timedelta(days=90)), "Sales"]
        everyone = open_rows[open_rows["opened"].isna() | (open_rows["opened"] < "2013-01-01")]
        base_before = everyone.loc[
            everyone["Date"].between(when - pd.Timedelta(days=90), when), "Sales"
        ]
        base_after = everyone.loc[
            everyone["Date"].between(when, when + pd.Timedelta(days=90)), "Sales"
        ]
        ratios.append((after.mean() / before.mean()) / (base_after.mean() / base_before.mean()))
    assert np.median(ratios) < 0.95


@pytest.mark.slow
def test_kaggle_scale_generates_in_seconds():
    import time

    start = time.perf_counter()
    tables = generate_rossmann({"n_stores": 1115})
    elapsed = time.perf_counter() - start
    assert len(tables["store"]) == 1115
    assert len(tables["train"]) > 900_000
    assert elapsed < 30, f"{elapsed:.1f} s"
