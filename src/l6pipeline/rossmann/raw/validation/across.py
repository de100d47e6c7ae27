"""Checks across the raw tables: known stores and states, weather and trend for every date."""

from __future__ import annotations

import pandas as pd

from l6pipeline.rossmann.raw.schemas import NATIONAL_TREND, file_name, trend_file_for_state
from l6pipeline.rossmann.raw.validation.messages import EXAMPLES, Problem, format_values, not_in


def cross_table_problems(parsed: dict[str, pd.DataFrame], sound: set[str]) -> list[Problem]:
    """Relations between tables; each check runs only when the tables it needs are sound."""
    problems: list[Problem] = []

    def ready(*tables: str) -> bool:
        return set(tables) <= sound

    for table in ("train", "test"):
        for reference in ("store", "store_states"):
            if ready(table, reference):
                unknown = not_in(parsed[table]["Store"], parsed[reference]["Store"])
                if unknown:
                    missing_from = f"missing from {file_name(reference)}"
                    message = f"{len(unknown)} store id(s) {missing_from}: {format_values(unknown)}"
                    problems.append(Problem(file_name(table), "Store", message))
    if not ready("train", "test", "store_states", "state_names"):
        return problems
    stores = pd.concat([parsed["train"]["Store"], parsed["test"]["Store"]]).unique()
    states = parsed["store_states"]
    codes = states.loc[states["Store"].isin(stores), "State"]
    code_to_name = dict(
        zip(parsed["state_names"]["State"], parsed["state_names"]["StateName"], strict=True)
    )
    unknown = not_in(codes, pd.Series(list(code_to_name)))
    if unknown:
        problems.append(
            Problem(
                file_name("store_states"),
                "State",
                f"states missing from state_names.csv: {format_values(unknown)}",
            )
        )
    used = sorted(set(codes) - set(unknown))
    dates = pd.DatetimeIndex(
        pd.concat([parsed["train"]["Date"], parsed["test"]["Date"]]).unique()
    ).sort_values()
    if ready("weather"):
        problems += _weather_problems(parsed["weather"], [code_to_name[c] for c in used], dates)
    if ready("googletrend"):
        files = [NATIONAL_TREND, *(trend_file_for_state(code) for code in used)]
        problems += _trend_problems(parsed["googletrend"], files, dates)
    return problems


def _weather_problems(
    weather: pd.DataFrame, names: list[str], dates: pd.DatetimeIndex
) -> list[Problem]:
    have = pd.MultiIndex.from_arrays([weather["file"], weather["Date"]])
    absent, gaps = _coverage(names, have, dates)
    problems = []
    if absent:
        problems.append(
            Problem(
                "weather.csv",
                "file",
                f"no weather for state(s) {format_values(absent)} (names as in state_names.csv)",
            )
        )
    if len(gaps):
        shown = ", ".join(f"{name} {date:%Y-%m-%d}" for name, date in gaps[:EXAMPLES])
        problems.append(
            Problem(
                "weather.csv",
                "Date",
                f"{len(gaps)} (state, date) pairs of train/test have no weather row: {shown}",
            )
        )
    return problems


def _trend_problems(
    trend: pd.DataFrame, files: list[str], dates: pd.DatetimeIndex
) -> list[Problem]:
    # Each trend row covers the week that starts on the Sunday on or before a date.
    sundays = pd.DatetimeIndex(
        dates - pd.to_timedelta((dates.day_of_week + 1) % 7, unit="D")
    ).unique()
    starts = pd.to_datetime(trend["week"].str.slice(0, 10), format="%Y-%m-%d")
    absent, gaps = _coverage(files, pd.MultiIndex.from_arrays([trend["file"], starts]), sundays)
    problems = []
    if absent:
        problems.append(
            Problem("googletrend.csv", "file", f"no Google trend series {format_values(absent)}")
        )
    if len(gaps):
        shown = ", ".join(f"{file} week of {day:%Y-%m-%d}" for file, day in gaps[:EXAMPLES])
        problems.append(
            Problem(
                "googletrend.csv",
                "week",
                f"{len(gaps)} week{'s' * (len(gaps) > 1)} of train/test dates missing: {shown}",
            )
        )
    return problems


def _coverage(
    series: list[str], have: pd.MultiIndex, dates: pd.DatetimeIndex
) -> tuple[list[str], pd.MultiIndex]:
    """The ``series`` absent from ``have`` (series, date) altogether, and the (series, date)
    pairs the present ones miss."""
    present = set(have.get_level_values(0))
    absent = [name for name in series if name not in present]
    needed = pd.MultiIndex.from_product([[name for name in series if name in present], dates])
    return absent, needed.difference(have)
