"""The feature steps as pure table -> table functions (one per Kedro node), and their chain.

Shared preparation (small tables, once): weather <- state names, store <- store states, the
Google-trend series, and the event features over train + test. Then, for the train rows
(after dropping ``Sales == 0``) and the test rows alike: date parts, store join, trend join,
weather join, competition / Promo2 durations, event join.

Row-wise steps commute with the ``Sales != 0`` filter, so the training table is filtered first
(less to join); the event features are computed on the unfiltered train + test rows, as in the
lesson.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .competition import add_competition_promo2_features
from .dates import DATEPART_COLUMNS, add_datepart
from .events import EVENT_KEY, compute_event_features, event_feature_columns, state_holiday_flag
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


@dataclass(frozen=True)
class Context:
    """The shared, small tables every row table is joined with."""

    store: pd.DataFrame
    state_trend: pd.DataFrame
    national_trend: pd.DataFrame
    weather: pd.DataFrame
    events: pd.DataFrame


def prepare_context(tables: dict[str, pd.DataFrame]) -> Context:
    """Run the shared steps on the validated tables (keys as in the catalog, without prefix)."""
    state_trend, national_trend = prepare_google_trend(tables["googletrend"])
    return Context(
        store=join_store_states(tables["store"], tables["store_states"]),
        state_trend=state_trend,
        national_trend=national_trend,
        weather=join_weather_states(tables["weather"], tables["state_names"]),
        events=compute_event_features(tables["train"], tables["test"]),
    )


def build_rows(
    rows: pd.DataFrame, context: Context, alignment: str = "google_week", name: str = "rows"
) -> pd.DataFrame:
    """All row-wise steps on one table (train after filtering, or test)."""
    rows = add_date_parts(rows)
    rows = join_store(rows, context.store, name)
    rows = join_google_trend(rows, context.state_trend, context.national_trend, alignment, name)
    rows = join_weather(rows, context.weather, name)
    rows = add_competition_promo2(rows)
    return join_events(rows, context.events, name)


def build_feature_tables(
    tables: dict[str, pd.DataFrame], alignment: str = "google_week"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training features, test features) from the validated tables, as the pipeline does."""
    context = prepare_context(tables)
    train = build_rows(filter_sales(tables["train"]), context, alignment, "train")
    test = build_rows(tables["test"], context, alignment, "test")
    return train, test


__all__ = [
    "Context",
    "JoinError",
    "add_competition_promo2",
    "add_date_parts",
    "build_feature_tables",
    "build_rows",
    "filter_sales",
    "join_events",
    "join_google_trend",
    "join_store",
    "join_store_states",
    "join_weather",
    "join_weather_states",
    "prepare_context",
    "prepare_google_trend",
    "weather_columns",
]
