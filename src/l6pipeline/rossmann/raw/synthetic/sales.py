"""The synthetic sales on the (store, day) grid, and train.csv / test.csv laid out from it."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from l6pipeline.rossmann.raw.schemas import (
    COLUMNS,
    PROMO_INTERVALS,
    STATE_NAME_OF_CODE,
    trend_file_for_state,
)
from l6pipeline.rossmann.raw.synthetic.trend import TREND_ORDER
from l6pipeline.rossmann.raw.synthetic.weather import WEATHER_ORDER

_DAY_OF_WEEK = np.array([1.18, 1.03, 0.97, 0.97, 1.03, 0.87, 1.05])  # Monday .. Sunday
_PROMO_LIFT = 1.22
_SCHOOL_LIFT = 1.03
_NOISE = 0.08
_FLAGS = ("Open", "Promo", "SchoolHoliday")  # 0/1 columns of train.csv and test.csv


def sales_grids(
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
    open_ = _open_days(days, stores, holidays, rng)
    factor = stores["level"].to_numpy()[:, None] * _calendar(days, promo)[None, :]
    for effect in (
        np.where(school, _SCHOOL_LIFT, 1.0),
        _before_holiday(holidays),
        _competition(days, stores),
        _promo2(days, stores),
        *_weather_and_trend(stores, weather, trend_latent),
    ):
        factor *= effect
    noise = np.exp(rng.normal(0.0, _NOISE, (n, n_d)))
    sales = np.where(open_, np.round(factor * noise), 0).astype("int64")
    ticket = stores["ticket"].to_numpy()[:, None] * np.where(promo, 0.94, 1.0)[None, :]
    visits = sales / ticket * np.exp(rng.normal(0.0, 0.06, (n, n_d)))
    customers = np.where(open_, np.maximum(1, np.round(visits)), 0).astype("int64")
    return open_, sales, customers


def _open_days(
    days: pd.DatetimeIndex, stores: pd.DataFrame, holidays: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Open on weekdays; closed on Sundays and state holidays except for Sunday stores."""
    n, n_d = len(stores), len(days)
    sunday_open = stores["sunday_open"].to_numpy()[:, None]
    open_ = (days.day_of_week.to_numpy() != 6)[None, :] | sunday_open
    open_ &= (holidays == "0") | (sunday_open & (rng.random((n, n_d)) < 0.5))
    open_ &= rng.random((n, n_d)) > 0.002  # the odd closed day (inventory, repairs)
    return open_


def _calendar(days: pd.DatetimeIndex, promo: np.ndarray) -> np.ndarray:
    """Sales multiplier per day for every store: weekday, promo, Christmas, season, growth."""
    years = (days - days.min()).days.to_numpy() / 365.25
    return (
        _DAY_OF_WEEK[days.day_of_week.to_numpy()]
        * np.where(promo, _PROMO_LIFT, 1.0)
        * _christmas(days)
        * (1 + 0.04 * np.sin(2 * np.pi * (days.day_of_year.to_numpy() - 100) / 365.25))
        * 1.025**years
    )


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


def _before_holiday(holidays: np.ndarray) -> np.ndarray:
    """More sales on the day before a state holiday."""
    is_holiday = holidays != "0"
    before_holiday = np.zeros_like(is_holiday)
    before_holiday[:, :-1] = is_holiday[:, 1:]
    return np.where(before_holiday, 1.12, 1.0)


def _competition(days: pd.DatetimeIndex, stores: pd.DataFrame) -> np.ndarray:
    """A competitor takes a share from the month it opens, a larger one when it is nearer."""
    distance = stores["CompetitionDistance"].to_numpy()
    opened = pd.to_datetime(
        {
            "year": stores["CompetitionOpenSinceYear"].fillna(1900),
            "month": stores["CompetitionOpenSinceMonth"].fillna(1),
            "day": 1,
        }
    ).to_numpy()
    share = np.where(np.isnan(distance), 0.0, 0.22 * np.exp(-np.nan_to_num(distance) / 3000))
    return 1 - share[:, None] * (days.to_numpy()[None, :] >= opened[:, None])


def _promo2(days: pd.DatetimeIndex, stores: pd.DataFrame) -> np.ndarray:
    """Promo2 participants sell a little less overall, more in the months a round starts."""
    in_promo2 = stores["Promo2"].to_numpy() == 1
    promo2_start = (
        pd.to_datetime(stores["Promo2SinceYear"].fillna(2100).astype(int).astype(str), format="%Y")
        + pd.to_timedelta((stores["Promo2SinceWeek"].fillna(1) - 1) * 7, unit="D")
    ).to_numpy()
    round_months = np.zeros((len(stores), 13), dtype=bool)
    for interval in PROMO_INTERVALS:
        months = [pd.Timestamp(f"2000-{m[:3]}-01").month for m in interval.split(",")]
        round_months[np.ix_((stores["PromoInterval"] == interval).to_numpy(), months)] = True
    running = (days.to_numpy()[None, :] >= promo2_start[:, None]) & in_promo2[:, None]
    in_round = round_months[:, days.month.to_numpy()] & running
    return np.where(in_promo2, 0.93, 1.0)[:, None] * np.where(in_round, 1.05, 1.0)


def _weather_and_trend(
    stores: pd.DataFrame, weather: dict[str, np.ndarray], trend_latent: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rain, heat (weather of the store's state, by name) and the state's Google-trend interest."""
    codes = stores["State"].to_numpy()
    weather_row = np.array([WEATHER_ORDER.index(STATE_NAME_OF_CODE[c]) for c in codes])
    trend_row = np.array([TREND_ORDER.index(trend_file_for_state(c)) for c in codes])
    return (
        np.where(weather["precipitation"][weather_row] > 3, 0.97, 1.0),
        np.where(weather["max_temperature"][weather_row] > 28, 0.95, 1.0),
        np.exp(0.04 * trend_latent[trend_row] + 0.03 * trend_latent[[1]]),
    )


def long_rows(
    days: pd.DatetimeIndex,
    stores: pd.DataFrame,
    grids: Mapping[str, np.ndarray],
    mask: np.ndarray,
    rows: np.ndarray,
) -> pd.DataFrame:
    """The stores at positions ``rows`` on the days of ``mask``, one row each, in Kaggle's
    order: newest date first, stores ascending within a date; ``grids`` are (store, day)."""
    picked = days[mask][::-1]
    order = np.flatnonzero(mask)[::-1]
    columns = {name: grid[np.ix_(rows, order)].T.ravel() for name, grid in grids.items()}
    return pd.DataFrame(
        {
            "Store": np.tile(stores["Store"].to_numpy()[rows], len(picked)),
            "DayOfWeek": np.repeat(picked.day_of_week.to_numpy() + 1, len(rows)).astype("int64"),
            "Date": np.repeat(picked.to_numpy(dtype="datetime64[ns]"), len(rows)),
            **{
                name: values.astype("int64") if name in _FLAGS else values
                for name, values in columns.items()
            },
        }
    )


def layout_train(
    days: pd.DatetimeIndex,
    stores: pd.DataFrame,
    grids: Mapping[str, np.ndarray],
    is_train: np.ndarray,
    refurbished_fraction: float,
    refurbishment: tuple[pd.Timestamp, pd.Timestamp],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """train.csv: every store on the train days, less the refurbished stores' gap."""
    n = len(stores)
    everyone = np.arange(n)
    train = long_rows(days, stores, grids, is_train, everyone)
    # Refurbishment: some stores have no rows at all for about half a year.
    n_refurbished = round(refurbished_fraction * n) if n >= 5 else 0
    refurbished = rng.choice(everyone, size=n_refurbished, replace=False)
    window = (train["Date"] >= refurbishment[0]) & (train["Date"] <= refurbishment[1])
    gap = window & train["Store"].isin(stores["Store"].to_numpy()[refurbished])
    train = train.loc[~gap, list(COLUMNS["train"])].reset_index(drop=True)
    train["StateHoliday"] = train["StateHoliday"].astype("str")
    return train


def layout_test(
    days: pd.DatetimeIndex,
    stores: pd.DataFrame,
    grids: Mapping[str, np.ndarray],
    is_train: np.ndarray,
    test_store_fraction: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """test.csv: a share of the stores on the days after train, with a few ``Open`` missing."""
    n = len(stores)
    n_test = min(n, max(1, round(test_store_fraction * n)))
    test_rows = np.sort(rng.choice(np.arange(n), size=n_test, replace=False))
    test = long_rows(days, stores, grids, ~is_train, test_rows)
    test["Open"] = test["Open"].astype("float64")
    # As in the real test.csv, one store has `Open` missing on its last weekdays.
    chosen = stores["Store"].iloc[rng.choice(test_rows)]
    unknown = test["Store"].eq(chosen) & test["DayOfWeek"].ne(7)
    test.loc[unknown[unknown].index[:11], "Open"] = np.nan
    test.insert(0, "Id", np.arange(1, len(test) + 1, dtype="int64"))
    test = test[list(COLUMNS["test"])]
    test["StateHoliday"] = test["StateHoliday"].astype("str")
    return test
