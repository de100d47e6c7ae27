"""Small validated-looking Rossmann tables (the raw layer's contract) for the feature tests.

Independent of the project's generator so that these tests pin down the feature code alone:
stores with gaps (a closed half-year, random missing days), closed days with zero sales,
missing competition / Promo2 data, open-since dates before 1990 and after the data, a state
without stores, Niedersachsen as ``HB,NI``, weather gaps (NaN) and a date range over New Year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STATES = {  # weather file (state name) -> code
    "BadenWuerttemberg": "BW",
    "Bremen": "HB",
    "Niedersachsen": "HB,NI",
    "Sachsen": "SN",
    "Saarland": "SL",
}
STORE_STATES = ("BW", "HB,NI", "SN")
TREND_SUFFIX = {"BW": "BW", "HB,NI": "NI", "SN": "SN", "SL": "SL"}
WEATHER_NUMERIC = (
    "Max_TemperatureC",
    "Mean_TemperatureC",
    "Min_TemperatureC",
    "Max_Humidity",
    "Mean_Humidity",
    "Min_Humidity",
    "Max_Wind_SpeedKm_h",
    "Mean_Wind_SpeedKm_h",
    "CloudCover",
)


def make_tables(
    seed: int = 0,
    n_stores: int = 6,
    train_start: str = "2013-11-20",
    train_end: str = "2014-01-20",
    test_end: str = "2014-02-05",
) -> dict[str, pd.DataFrame]:
    """The seven validated tables, keyed like the catalog without ``validated_``."""
    rng = np.random.default_rng(seed)
    stores = np.arange(1, n_stores + 1)
    train_days = pd.date_range(train_start, train_end, freq="D")
    test_days = pd.date_range(pd.Timestamp(train_end) + pd.Timedelta(days=1), test_end, freq="D")

    store_states = pd.DataFrame(
        {"Store": stores, "State": [STORE_STATES[i % len(STORE_STATES)] for i in range(n_stores)]}
    )
    state_names = pd.DataFrame({"StateName": list(STATES), "State": list(STATES.values())})

    has_comp = rng.random(n_stores) < 0.7
    has_promo2 = rng.random(n_stores) < 0.6
    store = pd.DataFrame(
        {
            "Store": stores,
            "StoreType": rng.choice(list("abcd"), n_stores),
            "Assortment": rng.choice(list("abc"), n_stores),
            "CompetitionDistance": np.where(
                rng.random(n_stores) < 0.2, np.nan, rng.integers(20, 20000, n_stores)
            ).astype(float),
            "CompetitionOpenSinceMonth": np.where(has_comp, rng.integers(1, 13, n_stores), np.nan),
            # before 1990, ordinary, and after the data (negative days -> 0)
            "CompetitionOpenSinceYear": np.where(
                has_comp, rng.choice([1961, 1989, 2005, 2013, 2014, 2015], n_stores), np.nan
            ),
            "Promo2": has_promo2.astype(np.int64),
            "Promo2SinceWeek": np.where(has_promo2, rng.integers(1, 53, n_stores), np.nan),
            "Promo2SinceYear": np.where(
                has_promo2, rng.choice([2009, 2012, 2013, 2014], n_stores), np.nan
            ),
            "PromoInterval": pd.Series(
                np.where(has_promo2, rng.choice(["Jan,Apr,Jul,Oct", "Feb,May,Aug,Nov"]), None),
                dtype="str",
            ),
        }
    )

    def rows(days: pd.DatetimeIndex, is_test: bool) -> pd.DataFrame:
        parts = []
        for s in stores:
            keep = rng.random(len(days)) > 0.1  # random missing days
            if s == 2 and not is_test:  # a store closed for a block of days
                keep &= ~((days >= days[10]) & (days < days[40]))
            d = days[keep]
            n = len(d)
            open_ = (rng.random(n) > 0.15).astype(np.int64)
            promo = ((d.day_of_year // 7) % 2 == 0).astype(np.int64) * (rng.random(n) > 0.1)
            if s == 3:
                promo[:] = 0  # a store that never has the event
            holiday = rng.choice(["0", "0", "0", "0", "a", "b", "c"], n)
            school = (rng.random(n) < 0.2).astype(np.int64)
            frame = pd.DataFrame(
                {
                    "Store": s,
                    "DayOfWeek": d.day_of_week + 1,
                    "Date": d,
                    "Open": open_,
                    "Promo": promo.astype(np.int64),
                    "StateHoliday": pd.Series(holiday, dtype="str"),
                    "SchoolHoliday": school,
                }
            )
            if not is_test:
                sales = rng.integers(1000, 9000, n) * open_
                sales[(open_ == 1) & (rng.random(n) < 0.02)] = 0  # open but no sales
                frame.insert(3, "Sales", sales.astype(np.int64))
                frame.insert(4, "Customers", (sales // 10).astype(np.int64))
            parts.append(frame)
        out = pd.concat(parts, ignore_index=True)
        out = out.sort_values(["Date", "Store"], ascending=[False, True], ignore_index=True)
        out["Date"] = out["Date"].astype("datetime64[ns]")
        return out

    train = rows(train_days, is_test=False)
    test = rows(test_days, is_test=True)
    test["Open"] = test["Open"].astype(float)
    test.loc[test.index[::17], "Open"] = np.nan
    test.insert(0, "Id", np.arange(1, len(test) + 1, dtype=np.int64))

    # Google weeks (Sunday..Saturday) covering whole calendar years around the data, so that
    # the lesson's year/ISO-week keys also find a row.
    first = pd.Timestamp(year=train_days[0].year, month=1, day=1)
    last = pd.Timestamp(year=test_days[-1].year, month=12, day=31)
    sundays = pd.date_range(first - pd.Timedelta(days=(first.day_of_week + 1) % 7), last, freq="7D")
    week = (
        sundays.strftime("%Y-%m-%d") + " - " + (sundays + pd.Timedelta(days=6)).strftime("%Y-%m-%d")
    )
    files = ["Rossmann_DE"] + [f"Rossmann_DE_{suffix}" for suffix in TREND_SUFFIX.values()]
    googletrend = pd.DataFrame(
        {
            "file": pd.Series(np.repeat(files, len(week)), dtype="str"),
            "week": pd.Series(np.tile(week, len(files)), dtype="str"),
            "trend": rng.integers(30, 100, len(files) * len(week)).astype(np.int64),
        }
    )

    weather_days = pd.date_range(train_days[0], test_days[-1], freq="D")
    n_weather = len(STATES) * len(weather_days)
    weather = pd.DataFrame(
        {
            "file": pd.Series(np.repeat(list(STATES), len(weather_days)), dtype="str"),
            "Date": np.tile(weather_days.to_numpy(), len(STATES)).astype("datetime64[ns]"),
        }
    )
    for col in WEATHER_NUMERIC:
        values = rng.integers(-10, 100, n_weather).astype(float)
        if col == "CloudCover":  # as in the real file: gaps in some measurements only
            values[rng.random(n_weather) < 0.05] = np.nan
        weather[col] = values
    weather["Events"] = pd.Series(
        rng.choice(np.array(["Rain", "Fog-Rain", "Snow", None], dtype=object), n_weather),
        dtype="str",
    )
    weather["WindDirDegrees"] = rng.integers(0, 360, n_weather).astype(float)

    return {
        "train": train,
        "test": test,
        "store": store,
        "store_states": store_states,
        "state_names": state_names,
        "googletrend": googletrend,
        "weather": weather,
    }
