"""The feature steps as pure table -> table functions, one per node of ``rossmann_data``
(docs/rossmann_data.md#what-each-step-computes)."""

from __future__ import annotations

import pandas as pd

from .competition import add_competition_promo2_features
from .dates import DATEPART_COLUMNS, add_datepart
from .events import EVENT_KEY, event_feature_columns, state_holiday_flag
from .joins import JoinError, left_join, replace_columns
from .trend import join_trend, parse_google_trend, split_national

WEATHER_KEYS = ("file", "Date", "State", "StateName")


def join_weather_states(weather: pd.DataFrame, state_names: pd.DataFrame) -> pd.DataFrame:
    """Weather with the state code: ``file`` (a state name) joined to ``StateName``; date parts."""
    joined = left_join(
        weather, state_names, "file", "StateName", columns=["State"], name="weather <- state_names"
    )
    return add_datepart(joined, "Date")


def join_store_states(store: pd.DataFrame, store_states: pd.DataFrame) -> pd.DataFrame:
    """Store with its ``State`` (every store must have one)."""
    return left_join(store, store_states, "Store", columns=["State"], name="store <- store_states")


def prepare_google_trend(googletrend: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-state trend, national ``Rossmann_DE`` trend), each with week dates and date parts."""
    return split_national(parse_google_trend(googletrend))


def filter_sales(train: pd.DataFrame) -> pd.DataFrame:
    """The training rows with ``Sales != 0`` (the lesson drops closed / zero-sales days)."""
    return train.loc[train["Sales"].to_numpy() != 0].reset_index(drop=True)


def add_date_parts(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with the date parts of ``Date`` (``Date`` and ``DayOfWeek`` are kept)."""
    return add_datepart(rows, "Date")


def join_store(rows: pd.DataFrame, store: pd.DataFrame, name: str = "rows") -> pd.DataFrame:
    """Rows with the store columns and ``State``."""
    return left_join(rows, store, "Store", name=f"{name} <- store")


def join_google_trend(
    rows: pd.DataFrame,
    state_trend: pd.DataFrame,
    national_trend: pd.DataFrame,
    alignment: str = "google_week",
    name: str = "rows",
) -> pd.DataFrame:
    """Rows with ``trend`` (their state's) and ``trend_DE`` (Germany's); see ``trend.py``."""
    return join_trend(rows, state_trend, national_trend, alignment, name=name)


def weather_columns(weather: pd.DataFrame) -> list[str]:
    """The weather measurements (everything but keys, state names and date parts)."""
    skip = set(WEATHER_KEYS) | set(DATEPART_COLUMNS)
    return [col for col in weather.columns if col not in skip]


def join_weather(rows: pd.DataFrame, weather: pd.DataFrame, name: str = "rows") -> pd.DataFrame:
    """Rows with the weather of their state on their date."""
    return left_join(
        rows,
        weather,
        ["State", "Date"],
        columns=weather_columns(weather),
        name=f"{name} <- weather",
    )


def add_competition_promo2(rows: pd.DataFrame) -> pd.DataFrame:
    """See :func:`~.competition.add_competition_promo2_features`."""
    return add_competition_promo2_features(rows)


def join_events(rows: pd.DataFrame, events: pd.DataFrame, name: str = "rows") -> pd.DataFrame:
    """Rows with the event features of their (Store, Date); ``StateHoliday`` becomes a bool."""
    joined = left_join(
        rows, events, list(EVENT_KEY), columns=event_feature_columns(), name=f"{name} <- events"
    )
    return replace_columns(joined, {"StateHoliday": state_holiday_flag(joined["StateHoliday"])})


def join_recent_sales(rows: pd.DataFrame, recent: pd.DataFrame, name: str = "rows") -> pd.DataFrame:
    """Rows with their store's recent sales level (:mod:`.recent`) of their (Store, Date)."""
    return left_join(rows, recent, list(EVENT_KEY), name=f"{name} <- recent sales")


__all__ = [
    "JoinError",
    "add_competition_promo2",
    "add_date_parts",
    "filter_sales",
    "join_events",
    "join_google_trend",
    "join_recent_sales",
    "join_store",
    "join_store_states",
    "join_weather",
    "join_weather_states",
    "prepare_google_trend",
    "weather_columns",
]
