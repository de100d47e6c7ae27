"""The feature steps as pure table -> table functions, and their one chain, :func:`feature_steps`.

The chain is defined once, as a list of steps with named inputs and outputs: the Kedro
pipeline ``rossmann_data`` makes one node of each step, and :func:`build_feature_tables` (the
library call, no Kedro) runs the same list in order.

Shared preparation (small tables, once): weather <- state names, store <- store states, the
Google-trend series. The train and test rows are partitioned by store (a no-op for one pandas
table; whole stores per Dask partition otherwise, see ``partitions.py``), the event features
computed over train + test per store. Then, for the train rows (after dropping
``Sales == 0``) and the test rows alike: date parts, store join, trend join, weather join,
competition / Promo2 durations, event join.

Row-wise steps commute with the ``Sales != 0`` filter, so the training table is filtered first
(less to join); the event features are computed on the unfiltered train + test rows, as in the
lesson.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial, update_wrapper
from typing import Any

import pandas as pd

from ..schemas import TABLES  # the seven validated tables the chain starts from
from .competition import add_competition_promo2_features
from .dates import DATEPART_COLUMNS, add_datepart
from .events import (
    EVENT_KEY,
    WINDOW_ROWS,
    compute_event_features,
    event_feature_columns,
    state_holiday_flag,
)
from .joins import JoinError, left_join, replace_columns
from .partitions import partition_by_store, per_store_partition
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


#: The chain's results.
OUTPUTS = ("rossmann_train_features", "rossmann_test_features")
SPLITS = ("train", "test")


@dataclass(frozen=True)
class Step:
    """One step of the chain: ``func(*inputs)`` gives ``outputs`` (names of tables/parameters)."""

    name: str
    func: Callable[..., Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def _named(func: Callable, **kwargs: Any) -> Callable:
    """``func`` with keyword arguments bound, keeping its name and docstring (for kedro-viz)."""
    return update_wrapper(partial(func, **kwargs), func)


def _rows_step(kernel: Callable, split: str | None = None, **options: Any) -> Callable:
    """A step running the pandas ``kernel`` on a pandas table, or per store partition on a Dask
    one (:func:`~.partitions.per_store_partition`); ``split`` names the table in errors."""
    step = per_store_partition(kernel, **options)
    return step if split is None else _named(step, name=split)


def shared_steps() -> list[Step]:
    """Small tables once, the store partitioning, and the events over train + test."""
    return [
        Step(
            "join_store_states",
            join_store_states,
            ("store", "store_states"),
            ("rossmann_store",),
        ),
        Step(
            "join_weather_states",
            join_weather_states,
            ("weather", "state_names"),
            ("rossmann_weather",),
        ),
        Step(
            "prepare_google_trend",
            prepare_google_trend,
            ("googletrend",),
            ("rossmann_trend_state", "rossmann_trend_national"),
        ),
        Step(
            "partition_by_store",
            partition_by_store,
            ("train", "test", "store_partitions"),
            ("rossmann_train_by_store", "rossmann_test_by_store"),
        ),
        Step(
            "compute_event_features",
            _rows_step(compute_event_features),
            ("rossmann_train_by_store", "rossmann_test_by_store", "event_window_rows"),
            ("rossmann_events",),
        ),
        Step(
            "filter_train_sales",
            _rows_step(filter_sales),
            ("rossmann_train_by_store",),
            ("rossmann_train_rows",),
        ),
    ]


def branch_steps(split: str) -> list[Step]:
    """The row-wise steps for one table (``train`` after the sales filter, or ``test``)."""
    rows = "rossmann_train_rows" if split == "train" else f"rossmann_{split}_by_store"
    step = f"rossmann_{split}_with"
    return [
        Step(f"add_date_parts_{split}", _rows_step(add_date_parts), (rows,), (f"{step}_dates",)),
        Step(
            f"join_store_{split}",
            _rows_step(join_store, split),
            (f"{step}_dates", "rossmann_store"),
            (f"{step}_store",),
        ),
        Step(
            f"join_google_trend_{split}",
            _rows_step(join_google_trend, split),
            (f"{step}_store", "rossmann_trend_state", "rossmann_trend_national", "trend_alignment"),
            (f"{step}_trend",),
        ),
        Step(
            f"join_weather_{split}",
            _rows_step(join_weather, split),
            (f"{step}_trend", "rossmann_weather"),
            (f"{step}_weather",),
        ),
        Step(
            f"add_competition_promo2_{split}",
            _rows_step(add_competition_promo2),
            (f"{step}_weather",),
            (f"{step}_competition",),
        ),
        Step(
            f"join_events_{split}",
            _rows_step(join_events, split, copartition=True),
            (f"{step}_competition", "rossmann_events"),
            (f"rossmann_{split}_features",),
        ),
    ]


def feature_steps() -> list[Step]:
    """The whole chain, in an order that runs (every input made before it is used)."""
    return shared_steps() + [step for split in SPLITS for step in branch_steps(split)]


def run_steps(
    steps: list[Step], inputs: Mapping[str, Any], outputs: tuple[str, ...]
) -> dict[str, Any]:
    """Run ``steps`` in order on ``inputs``; return ``outputs``. Like Kedro's runner, every
    intermediate table is released after its last use."""
    last_use = {name: i for i, step in enumerate(steps) for name in step.inputs}
    data = dict(inputs)
    for i, step in enumerate(steps):
        result = step.func(*(data[name] for name in step.inputs))
        data.update(zip(step.outputs, result if len(step.outputs) > 1 else (result,), strict=True))
        for name in step.inputs:
            if last_use[name] == i and name not in outputs:
                data.pop(name, None)
    return {name: data[name] for name in outputs}


SHARED_TABLES = (
    "rossmann_store",
    "rossmann_weather",
    "rossmann_trend_state",
    "rossmann_trend_national",
)


def prepare_shared_tables(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The joined store, weather and Google-trend tables (``SHARED_TABLES``) from the validated
    tables: the chain's own steps, for code that features new rows (the served model)."""
    steps = [step for step in shared_steps() if set(step.outputs) <= set(SHARED_TABLES)]
    return run_steps(steps, tables, SHARED_TABLES)


def build_rows(
    rows: pd.DataFrame,
    shared: Mapping[str, pd.DataFrame],
    events: pd.DataFrame,
    alignment: str = "google_week",
) -> pd.DataFrame:
    """Features of new test-format ``rows``: the chain's row-wise steps for the test table, on
    the ``shared`` tables of :func:`prepare_shared_tables` and the ``events`` of those rows."""
    inputs = {
        **shared,
        "rossmann_test_by_store": rows,
        "rossmann_events": events,
        "trend_alignment": alignment,
    }
    return run_steps(branch_steps("test"), inputs, ("rossmann_test_features",))[
        "rossmann_test_features"
    ]


def build_feature_tables(
    tables: Mapping[str, pd.DataFrame],
    alignment: str = "google_week",
    window: int = WINDOW_ROWS,
    partitions: int = 0,
) -> tuple[Any, Any]:
    """(training features, test features) from the validated tables: the pipeline's steps.

    ``tables`` holds the seven validated tables by name (``train``, ``test``, ``store``, ...).
    ``train`` / ``test`` may be Dask frames (any partitioning), or ``partitions`` > 0 asks for
    that many Dask partitions of whole stores: the results are then lazy Dask frames (rows
    grouped by partition, not in file order). The default is pandas in, pandas out.
    """
    parameters = {
        "trend_alignment": alignment,
        "event_window_rows": window,
        "store_partitions": partitions,
    }
    inputs = {**{name: tables[name] for name in TABLES}, **parameters}
    train, test = run_steps(feature_steps(), inputs, OUTPUTS).values()
    return train, test


__all__ = [
    "OUTPUTS",
    "SHARED_TABLES",
    "JoinError",
    "Step",
    "add_competition_promo2",
    "add_date_parts",
    "build_feature_tables",
    "build_rows",
    "feature_steps",
    "filter_sales",
    "join_events",
    "join_google_trend",
    "join_store",
    "join_store_states",
    "join_weather",
    "join_weather_states",
    "prepare_google_trend",
    "prepare_shared_tables",
    "run_steps",
    "weather_columns",
]
