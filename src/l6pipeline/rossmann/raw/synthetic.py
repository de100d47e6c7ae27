"""Synthetic Rossmann data: the seven raw tables in the Kaggle / fast.ai format, with structure.

The tables have exactly the real columns, order, value codes and quirks (missing ``Open`` in
test, NaNs in store, refurbishment gaps in train, ``HB,NI``, Sunday-Saturday trend weeks, one
weather row per state name and day), and sales that a model can learn: a log-normal level per
store scaled by store type and assortment, a day-of-week profile with Sunday closures (a few
stores open on Sundays), promo days, state and school holidays that differ by state, the
Christmas peak, competitors that open and take a share, Promo2 rounds, small weather and
Google-trend effects, multiplicative noise, and customers that follow sales.

Everything is computed on (store, day) arrays with numpy; one seed fixes every table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from l6pipeline.rossmann.raw.schemas import (
    ASSORTMENTS,
    COLUMNS,
    NATIONAL_TREND,
    PROMO_INTERVALS,
    STATE_NAME_OF_CODE,
    STATE_NAMES,
    STORE_STATE_CODES,
    STORE_TYPES,
    TABLES,
    TREND_SUFFIXES,
    WEATHER_NUMERIC,
    trend_file_for_state,
)
from l6pipeline.rossmann.raw.synthetic_calendar import promo_days, school_holidays, state_holidays

# Real shares (store_states.csv, store.csv) that the synthetic stores are drawn from.
_STATE_WEIGHTS = dict(
    zip(STORE_STATE_CODES, (92, 73, 180, 22, 112, 28, 286, 40, 115, 75, 56, 36), strict=True)
)
_TYPE_WEIGHTS = {"a": 602, "b": 17, "c": 148, "d": 348}
_ASSORTMENT_WEIGHTS = {  # per store type
    "a": {"a": 381, "b": 0, "c": 221},
    "b": {"a": 7, "b": 9, "c": 1},
    "c": {"a": 77, "b": 0, "c": 71},
    "d": {"a": 128, "b": 0, "c": 220},
}
_TYPE_LEVEL = {"a": 1.0, "b": 1.6, "c": 1.0, "d": 0.98}
_ASSORTMENT_LEVEL = {"a": 1.0, "b": 0.85, "c": 1.1}
_TYPE_TICKET = {"a": 8.7, "b": 5.3, "c": 8.5, "d": 11.3}  # euros per customer
_DAY_OF_WEEK = np.array([1.18, 1.03, 0.97, 0.97, 1.03, 0.87, 1.05])  # Monday .. Sunday
_PROMO_LIFT = 1.22
_SCHOOL_LIFT = 1.03
_NOISE = 0.08
# Competition opening years relative to the first year (real counts, 2013 = 0).
_COMPETITION_YEARS = dict(
    zip(
        range(-23, 3),
        (
            5,
            0,
            0,
            0,
            2,
            2,
            0,
            0,
            1,
            8,
            10,
            16,
            27,
            19,
            22,
            62,
            47,
            48,
            54,
            54,
            55,
            54,
            82,
            83,
            70,
            38,
        ),
        strict=True,
    )
)
_PROMO2_YEARS = dict(zip(range(-4, 3), (73, 64, 128, 81, 120, 95, 10), strict=True))
_WEATHER_ORDER = ("NordrheinWestfalen", *sorted(set(STATE_NAMES) - {"NordrheinWestfalen"}))
_TREND_ORDER = (
    f"{NATIONAL_TREND}_SN",
    NATIONAL_TREND,
    *(f"{NATIONAL_TREND}_{s}" for s in TREND_SUFFIXES if s != "SN"),
)


@dataclass(frozen=True)
class SyntheticConfig:
    """What to generate. The defaults give a small but complete data set (see docs)."""

    n_stores: int = 60
    start_date: str = "2013-01-01"
    end_date: str = "2015-07-31"
    test_days: int = 48
    seed: int = 42
    test_store_fraction: float = 0.77  # 856 of 1,115 real stores are in test.csv
    refurbished_fraction: float = 0.16  # 180 of 1,115 real stores miss half of 2014
    refurbishment_start: str = "2014-07-01"
    refurbishment_end: str = "2014-12-31"

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> SyntheticConfig:
        params = dict(params or {})
        known = {f.name for f in fields(cls)}
        unknown = set(params) - known
        if unknown:
            raise ValueError(
                f"unknown rossmann_synthetic parameter(s) {sorted(unknown)}; known: {sorted(known)}"
            )
        config = cls(**params)
        if config.n_stores < 1 or config.test_days < 1:
            raise ValueError("n_stores and test_days must be at least 1")
        if pd.Timestamp(config.end_date) < pd.Timestamp(config.start_date):
            raise ValueError("end_date must not be before start_date")
        return config


def generate_rossmann(
    config: SyntheticConfig | Mapping[str, Any] | None = None,
) -> dict[str, pd.DataFrame]:
    """The seven raw tables (keys as in :data:`~l6pipeline.rossmann.raw.schemas.TABLES`).

    Columns, order and dtypes are those of the validated tables; written with
    :func:`~l6pipeline.rossmann.raw.csv_files.write_raw_csv` they look like the real files.
    """
    if not isinstance(config, SyntheticConfig):
        config = SyntheticConfig.from_params(config)
    root = np.random.default_rng(config.seed)
    rng_store, rng_calendar, rng_weather, rng_trend, rng_sales, rng_layout = root.spawn(6)

    start, end = pd.Timestamp(config.start_date), pd.Timestamp(config.end_date)
    days = pd.date_range(start, end + pd.Timedelta(days=config.test_days), freq="D")
    stores = _stores(config, rng_store)
    weather, weather_arrays = _weather(days, rng_weather)
    googletrend, trend_latent = _googletrend(days, rng_trend)

    state_index = np.array([STORE_STATE_CODES.index(code) for code in stores["State"]])
    holidays = state_holidays(STORE_STATE_CODES, days)[state_index]
    school = school_holidays(STORE_STATE_CODES, days, rng_calendar)[state_index]
    promo = promo_days(days, rng_calendar)

    open_, sales, customers = _sales(
        config, days, stores, holidays, school, promo, weather_arrays, trend_latent, rng_sales
    )
    train, test = _train_test(
        config, days, stores, open_, sales, customers, holidays, school, promo, rng_layout
    )
    tables = {
        "train": train,
        "test": test,
        "store": stores[list(COLUMNS["store"])].reset_index(drop=True),
        "store_states": stores[["Store", "State"]].astype({"State": "str"}),
        "state_names": pd.DataFrame(
            {"StateName": list(STATE_NAMES), "State": list(STATE_NAMES.values())}, dtype="str"
        ),
        "googletrend": googletrend,
        "weather": weather,
    }
    return {name: tables[name] for name in TABLES}


def _assign(rng: np.random.Generator, weights: Mapping[str, float], n: int) -> np.ndarray:
    """``n`` labels drawn by weight; each label appears at least once when ``n`` allows."""
    labels = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    p /= p.sum()
    guaranteed = labels[p > 0] if n >= (p > 0).sum() else labels[:0]
    drawn = rng.choice(labels, size=n - len(guaranteed), p=p)
    return rng.permutation(np.concatenate([guaranteed, drawn]))


def _draw_years(
    rng: np.random.Generator, weights: Mapping[int, float], first_year: int, n: int
) -> np.ndarray:
    offsets = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return first_year + rng.choice(offsets, size=n, p=p / p.sum())


def _stores(config: SyntheticConfig, rng: np.random.Generator) -> pd.DataFrame:
    """The store table plus hidden traits (level, ticket, Sunday opening, ...)."""
    n = config.n_stores
    first_year = pd.Timestamp(config.start_date).year
    store_type = _assign(rng, _TYPE_WEIGHTS, n)
    assortment = np.empty(n, dtype=object)
    for kind in STORE_TYPES:  # four draws, one per store type
        members = store_type == kind
        weights = _ASSORTMENT_WEIGHTS[kind]
        p = np.array([weights[a] for a in ASSORTMENTS], dtype=float)
        assortment[members] = rng.choice(ASSORTMENTS, size=members.sum(), p=p / p.sum())

    distance = np.clip(np.round(np.exp(rng.normal(np.log(2300), 1.1, n)), -1), 20, 75860)
    no_competitor = rng.random(n) < 0.003
    if n >= 10:
        no_competitor[rng.integers(n)] = True  # as in the real store.csv, a few have no data
    distance[no_competitor] = np.nan
    since_known = (rng.random(n) > 0.32) & ~no_competitor
    since_year = np.where(
        since_known, _draw_years(rng, _COMPETITION_YEARS, first_year, n), np.nan
    ).astype(float)
    since_month = np.where(since_known, rng.integers(1, 13, n), np.nan).astype(float)

    promo2 = rng.random(n) < 0.51
    promo2_week = np.where(promo2, rng.integers(1, 51, n), np.nan).astype(float)
    promo2_year = np.where(promo2, _draw_years(rng, _PROMO2_YEARS, first_year, n), np.nan).astype(
        float
    )
    interval = np.where(
        promo2, rng.choice(np.array(PROMO_INTERVALS), size=n, p=[0.59, 0.23, 0.18]), None
    )

    level = np.exp(rng.normal(np.log(5800), 0.33, n))
    level *= pd.Series(store_type).map(_TYPE_LEVEL).to_numpy()
    level *= pd.Series(assortment).map(_ASSORTMENT_LEVEL).to_numpy()
    ticket = pd.Series(store_type).map(_TYPE_TICKET).to_numpy() * np.exp(rng.normal(0, 0.08, n))
    ticket *= np.where(assortment == "c", 1.05, 1.0)
    # Type b stores (large, in stations and city centres) open on Sundays, and a few others.
    sunday_open = (store_type == "b") | (rng.random(n) < 0.015)

    return pd.DataFrame(
        {
            "Store": np.arange(1, n + 1, dtype="int64"),
            "StoreType": pd.Series(store_type, dtype="str"),
            "Assortment": pd.Series(assortment, dtype="str"),
            "CompetitionDistance": distance,
            "CompetitionOpenSinceMonth": since_month,
            "CompetitionOpenSinceYear": since_year,
            "Promo2": promo2.astype("int64"),
            "Promo2SinceWeek": promo2_week,
            "Promo2SinceYear": promo2_year,
            "PromoInterval": pd.Series(interval, dtype="str"),
            "State": _assign(rng, _STATE_WEIGHTS, n),
            "level": level,
            "ticket": ticket,
            "sunday_open": sunday_open,
        }
    )


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float) -> np.ndarray:
    """Unit-variance AR(1) noise along the last axis."""
    noise = rng.normal(0.0, np.sqrt(1 - phi**2), shape)
    noise[..., 0] = rng.normal(0.0, 1.0, shape[:-1])
    return lfilter([1.0], [1.0, -phi], noise, axis=-1)


def _weather(
    days: pd.DatetimeIndex, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """One row per state name and day (all 16 states, as in fast.ai's weather.csv)."""
    n_s, n_d = len(_WEATHER_ORDER), len(days)
    shape = (n_s, n_d)
    season = -np.cos(2 * np.pi * (days.day_of_year.to_numpy() - 20) / 365.25)[None, :]
    climate = rng.normal(0.0, 1.0, (n_s, 1))
    common, local = _ar1(rng, (1, n_d), 0.8), _ar1(rng, shape, 0.8)
    temperature = 9.5 + 9.5 * season + climate + 3.0 * common + 1.5 * local
    spread = 6.0 + 3.0 * (season + 1) / 2 + rng.gamma(2.0, 0.8, shape)
    mean_t = np.round(temperature)
    max_t = np.round(temperature + spread / 2)
    min_t = np.round(temperature - spread / 2)
    wetness = 0.6 * _ar1(rng, (1, n_d), 0.5) + 0.8 * _ar1(rng, shape, 0.5)
    wet = wetness > 0.3
    precipitation = np.where(wet, np.round(rng.gamma(0.8, 3.0, shape), 2), 0.0)
    dew = np.round(temperature - rng.gamma(2.0, 1.5, shape))
    mean_dew = dew - np.round(rng.gamma(2.0, 1.0, shape))
    min_dew = mean_dew - np.round(rng.gamma(2.0, 1.2, shape))
    mean_h = np.clip(np.round(74 + 8 * wet - 6 * season + rng.normal(0, 6, shape)), 25, 100)
    max_h = np.clip(mean_h + np.round(rng.gamma(4.0, 4.5, shape)), 0, 100)
    min_h = np.clip(mean_h - np.round(rng.gamma(4.0, 6.0, shape)), 5, 100)
    pressure = np.round(1015 + 8 * _ar1(rng, shape, 0.85) - 3 * wet)
    max_v = np.where(rng.random(shape) < 0.7, 31.0, np.round(rng.uniform(10, 31, shape)))
    mean_v = np.minimum(max_v, np.round(rng.gamma(6.0, 2.0, shape)))
    min_v = np.minimum(mean_v, np.round(rng.gamma(2.0, 3.5, shape)))
    no_visibility = rng.random(shape) < 0.024
    mean_wind = np.round(rng.gamma(4.0, 3.0, shape))
    max_wind = mean_wind + np.round(rng.gamma(3.0, 3.5, shape))
    gust = np.where(
        rng.random(shape) < 0.23, max_wind + np.round(rng.gamma(4.0, 6.0, shape)), np.nan
    )
    cloud = np.clip(np.round(5.5 + 2 * wet + rng.normal(0, 1.5, shape)), 0, 8)
    cloud[rng.random(shape) < 0.07] = np.nan
    snow = wet & (mean_t <= 1)
    rain = wet & (mean_t >= 1) & (precipitation > 0.2)
    fog = rng.random(shape) < 0.12 + 0.08 * (season < 0)
    thunder = wet & (max_t > 20) & (precipitation > 2) & (rng.random(shape) < 0.5)
    hail = thunder & (rng.random(shape) < 0.08)
    events = np.strings.rstrip(
        np.strings.add(
            np.strings.add(
                np.strings.add(np.where(fog, "Fog-", ""), np.where(rain, "Rain-", "")),
                np.strings.add(np.where(snow, "Snow-", ""), np.where(hail, "Hail-", "")),
            ),
            np.where(thunder, "Thunderstorm", ""),
        ),
        "-",
    )
    columns = dict(
        zip(
            WEATHER_NUMERIC,
            (
                max_t,
                mean_t,
                min_t,
                dew,
                mean_dew,
                min_dew,
                max_h,
                mean_h,
                min_h,
                pressure + 3,
                pressure,
                pressure - 3,
                np.where(no_visibility, np.nan, max_v),
                np.where(no_visibility, np.nan, mean_v),
                np.where(no_visibility, np.nan, min_v),
                max_wind,
                mean_wind,
                gust,
                precipitation,
                cloud,
            ),
            strict=True,
        )
    )
    frame = pd.DataFrame(
        {
            "file": pd.Series(np.repeat(_WEATHER_ORDER, n_d), dtype="str"),
            "Date": np.tile(days.to_numpy(dtype="datetime64[ns]"), n_s),
            **{name: values.ravel().astype("float64") for name, values in columns.items()},
            "Events": pd.Series(events.ravel(), dtype="str").replace("", np.nan),
            "WindDirDegrees": rng.integers(0, 361, n_s * n_d).astype("float64"),
        }
    )
    arrays = {"max_temperature": max_t, "precipitation": precipitation, "mean_temperature": mean_t}
    return frame, arrays


def _googletrend(
    days: pd.DatetimeIndex, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Weekly (Sunday-Saturday) search interest per state and nationally, 0..100 per series.

    Returns the table and the latent weekly interest per series mapped to days, shape
    (len(_TREND_ORDER), len(days)), that also nudges sales.
    """
    first = days.min() - pd.Timedelta(days=(days.min().weekday() + 1) % 7 + 28)
    last = days.max() + pd.Timedelta(days=(5 - days.max().weekday()) % 7 + 14)
    sundays = pd.date_range(first, last - pd.Timedelta(days=6), freq="7D")
    n_series, n_weeks = len(_TREND_ORDER), len(sundays)
    latent = 0.7 * _ar1(rng, (1, n_weeks), 0.7) + 0.7 * _ar1(rng, (n_series, n_weeks), 0.6)
    saturdays = sundays + pd.Timedelta(days=6)
    december = np.asarray(saturdays.month == 12)
    christmas_week = december & np.asarray(saturdays.day >= 25) & np.asarray(sundays.day <= 25)
    advent = december & ~christmas_week & np.asarray(saturdays.day < 25)
    raw = 1.0 + 0.08 * latent + 0.3 * advent - 0.35 * christmas_week
    raw *= np.exp(rng.normal(0, 0.03, raw.shape))
    trend = np.clip(np.round(100 * raw / raw.max(axis=1, keepdims=True)), 0, 100)
    small = _TREND_ORDER.index(f"{NATIONAL_TREND}_SL")  # low search volume: noisy, some zeros
    trend[small] = np.where(
        rng.random(n_weeks) < 0.04, 0, np.round(trend[small] * rng.uniform(0.6, 1.0, n_weeks))
    )
    weeks = sundays.strftime("%Y-%m-%d") + " - " + saturdays.strftime("%Y-%m-%d")
    frame = pd.DataFrame(
        {
            "file": pd.Series(np.repeat(_TREND_ORDER, n_weeks), dtype="str"),
            "week": pd.Series(np.tile(weeks.to_numpy(dtype=object), n_series), dtype="str"),
            "trend": trend.ravel().astype("int64"),
        }
    )
    week_of_day = ((days - sundays[0]).days // 7).to_numpy()
    return frame, latent[:, week_of_day]


def _christmas(days: pd.DatetimeIndex) -> np.ndarray:
    """Sales multiplier per day: the run-up to Christmas, the days after, quiet January."""
    month, day = days.month.to_numpy(), days.day.to_numpy()
    factor = np.ones(len(days))
    advent = (month == 12) & (day <= 23)
    factor[advent] = 1 + 0.55 * ((day[advent] - 1) / 22) ** 2
    factor[(month == 12) & (day == 24)] = 1.2
    factor[(month == 12) & (day >= 27)] = 1.08
    factor[month == 1] = 0.93
    return factor


def _sales(
    config: SyntheticConfig,
    days: pd.DatetimeIndex,
    stores: pd.DataFrame,
    holidays: np.ndarray,
    school: np.ndarray,
    promo: np.ndarray,
    weather: dict[str, np.ndarray],
    trend_latent: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Open flags, sales and customers on the (store, day) grid."""
    n, n_d = len(stores), len(days)
    dow = days.day_of_week.to_numpy()
    day_values = days.to_numpy()

    is_holiday = holidays != "0"
    sunday_open = stores["sunday_open"].to_numpy()[:, None]
    open_ = (dow != 6)[None, :] | sunday_open
    open_ &= ~is_holiday | (sunday_open & (rng.random((n, n_d)) < 0.5))
    open_ &= rng.random((n, n_d)) > 0.002  # the odd closed day (inventory, repairs)

    years = (days - days.min()).days.to_numpy() / 365.25
    daily = (
        _DAY_OF_WEEK[dow]
        * np.where(promo, _PROMO_LIFT, 1.0)
        * _christmas(days)
        * (1 + 0.04 * np.sin(2 * np.pi * (days.day_of_year.to_numpy() - 100) / 365.25))
        * 1.025**years
    )
    factor = stores["level"].to_numpy()[:, None] * daily[None, :]
    factor *= np.where(school, _SCHOOL_LIFT, 1.0)
    before_holiday = np.zeros_like(is_holiday)
    before_holiday[:, :-1] = is_holiday[:, 1:]
    factor *= np.where(before_holiday, 1.12, 1.0)

    # Competitors: a nearer one takes a larger share from the month it opens.
    distance = stores["CompetitionDistance"].to_numpy()
    opened = pd.to_datetime(
        {
            "year": stores["CompetitionOpenSinceYear"].fillna(1900),
            "month": stores["CompetitionOpenSinceMonth"].fillna(1),
            "day": 1,
        }
    ).to_numpy()
    share = np.where(np.isnan(distance), 0.0, 0.22 * np.exp(-np.nan_to_num(distance) / 3000))
    factor *= 1 - share[:, None] * (day_values[None, :] >= opened[:, None])

    # Promo2: participants sell a little less overall, more in the months a round starts.
    in_promo2 = stores["Promo2"].to_numpy() == 1
    promo2_start = (
        pd.to_datetime(stores["Promo2SinceYear"].fillna(2100).astype(int).astype(str), format="%Y")
        + pd.to_timedelta((stores["Promo2SinceWeek"].fillna(1) - 1) * 7, unit="D")
    ).to_numpy()
    round_months = np.zeros((n, 13), dtype=bool)
    for interval in PROMO_INTERVALS:
        months = [pd.Timestamp(f"2000-{m[:3]}-01").month for m in interval.split(",")]
        round_months[np.ix_((stores["PromoInterval"] == interval).to_numpy(), months)] = True
    running = (day_values[None, :] >= promo2_start[:, None]) & in_promo2[:, None]
    in_round = round_months[:, days.month.to_numpy()] & running
    factor *= np.where(in_promo2, 0.93, 1.0)[:, None] * np.where(in_round, 1.05, 1.0)

    # Weather of the store's state (by name) and the state's Google-trend interest.
    codes = stores["State"].to_numpy()
    weather_row = np.array([_WEATHER_ORDER.index(STATE_NAME_OF_CODE[c]) for c in codes])
    trend_row = np.array([_TREND_ORDER.index(trend_file_for_state(c)) for c in codes])
    factor *= np.where(weather["precipitation"][weather_row] > 3, 0.97, 1.0)
    factor *= np.where(weather["max_temperature"][weather_row] > 28, 0.95, 1.0)
    factor *= np.exp(0.04 * trend_latent[trend_row] + 0.03 * trend_latent[[1]])

    noise = np.exp(rng.normal(0.0, _NOISE, (n, n_d)))
    sales = np.where(open_, np.round(factor * noise), 0).astype("int64")
    ticket = stores["ticket"].to_numpy()[:, None] * np.where(promo, 0.94, 1.0)[None, :]
    visits = sales / ticket * np.exp(rng.normal(0.0, 0.06, (n, n_d)))
    customers = np.where(open_, np.maximum(1, np.round(visits)), 0).astype("int64")
    return open_, sales, customers


def _train_test(
    config: SyntheticConfig,
    days: pd.DatetimeIndex,
    stores: pd.DataFrame,
    open_: np.ndarray,
    sales: np.ndarray,
    customers: np.ndarray,
    holidays: np.ndarray,
    school: np.ndarray,
    promo: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long tables in Kaggle's row order: newest date first, stores ascending within a date."""
    n = len(stores)
    end = pd.Timestamp(config.end_date)
    is_train = np.asarray(days <= end)
    promo_grid = np.broadcast_to(promo[None, :], open_.shape)

    def long(grid: np.ndarray, mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """(store, day) -> rows ordered by day descending, then store ascending."""
        return grid[np.ix_(rows, np.flatnonzero(mask)[::-1])].T.ravel()

    def frame(mask: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
        picked = days[mask][::-1]
        return {
            "Store": np.tile(stores["Store"].to_numpy()[rows], len(picked)),
            "DayOfWeek": np.repeat(picked.day_of_week.to_numpy() + 1, len(rows)).astype("int64"),
            "Date": np.repeat(picked.to_numpy(dtype="datetime64[ns]"), len(rows)),
            "Open": long(open_, mask, rows).astype("int64"),
            "Promo": long(promo_grid, mask, rows).astype("int64"),
            "StateHoliday": long(holidays, mask, rows),
            "SchoolHoliday": long(school, mask, rows).astype("int64"),
            "Sales": long(sales, mask, rows),
            "Customers": long(customers, mask, rows),
        }

    everyone = np.arange(n)
    train = pd.DataFrame(frame(is_train, everyone))
    # Refurbishment: some stores have no rows at all for about half a year.
    n_refurbished = round(config.refurbished_fraction * n) if n >= 5 else 0
    refurbished = rng.choice(everyone, size=n_refurbished, replace=False)
    window = (train["Date"] >= pd.Timestamp(config.refurbishment_start)) & (
        train["Date"] <= pd.Timestamp(config.refurbishment_end)
    )
    gap = window & train["Store"].isin(stores["Store"].to_numpy()[refurbished])
    train = train.loc[~gap, list(COLUMNS["train"])].reset_index(drop=True)
    train["StateHoliday"] = train["StateHoliday"].astype("str")

    n_test = min(n, max(1, round(config.test_store_fraction * n)))
    test_rows = np.sort(rng.choice(everyone, size=n_test, replace=False))
    test = pd.DataFrame(frame(~is_train, test_rows))
    test["Open"] = test["Open"].astype("float64")
    # As in the real test.csv, one store has `Open` missing on its last weekdays.
    unknown = test["Store"].eq(stores["Store"].iloc[rng.choice(test_rows)]) & test["DayOfWeek"].ne(
        7
    )
    test.loc[unknown[unknown].index[:11], "Open"] = np.nan
    test.insert(0, "Id", np.arange(1, len(test) + 1, dtype="int64"))
    test = test[list(COLUMNS["test"])]
    test["StateHoliday"] = test["StateHoliday"].astype("str")
    return train, test
