"""The synthetic weather.csv: one row per state name and day, from seasons and AR(1) noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from l6pipeline.rossmann.raw.schemas import STATE_NAMES, WEATHER_NUMERIC

# The states in the order of fast.ai's weather.csv.
WEATHER_ORDER = ("NordrheinWestfalen", *sorted(set(STATE_NAMES) - {"NordrheinWestfalen"}))

Shape = tuple[int, int]


def ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float) -> np.ndarray:
    """Unit-variance AR(1) noise along the last axis."""
    noise = rng.normal(0.0, np.sqrt(1 - phi**2), shape)
    noise[..., 0] = rng.normal(0.0, 1.0, shape[:-1])
    return lfilter([1.0], [1.0, -phi], noise, axis=-1)


def weather_table(
    days: pd.DatetimeIndex, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """weather.csv for all 16 states, and the (state, day) arrays that nudge sales."""
    n_s, n_d = len(WEATHER_ORDER), len(days)
    shape = (n_s, n_d)
    season = -np.cos(2 * np.pi * (days.day_of_year.to_numpy() - 20) / 365.25)[None, :]
    temperature, (max_t, mean_t, min_t) = _temperatures(season, shape, rng)
    wetness = 0.6 * ar1(rng, (1, n_d), 0.5) + 0.8 * ar1(rng, shape, 0.5)
    wet = wetness > 0.3
    precipitation = np.where(wet, np.round(rng.gamma(0.8, 3.0, shape), 2), 0.0)
    dew = np.round(temperature - rng.gamma(2.0, 1.5, shape))
    mean_dew = dew - np.round(rng.gamma(2.0, 1.0, shape))
    min_dew = mean_dew - np.round(rng.gamma(2.0, 1.2, shape))
    air = _humidity_pressure_visibility(season, wet, shape, rng)
    wind = _wind(shape, rng)
    cloud = np.clip(np.round(5.5 + 2 * wet + rng.normal(0, 1.5, shape)), 0, 8)
    cloud[rng.random(shape) < 0.07] = np.nan
    events = _events(season, wet, mean_t, max_t, precipitation, shape, rng)
    values = (max_t, mean_t, min_t, dew, mean_dew, min_dew, *air, *wind, precipitation, cloud)
    columns = dict(zip(WEATHER_NUMERIC, values, strict=True))
    frame = pd.DataFrame(
        {
            "file": pd.Series(np.repeat(WEATHER_ORDER, n_d), dtype="str"),
            "Date": np.tile(days.to_numpy(dtype="datetime64[ns]"), n_s),
            **{name: array.ravel().astype("float64") for name, array in columns.items()},
            "Events": pd.Series(events.ravel(), dtype="str").replace("", np.nan),
            "WindDirDegrees": rng.integers(0, 361, n_s * n_d).astype("float64"),
        }
    )
    arrays = {"max_temperature": max_t, "precipitation": precipitation, "mean_temperature": mean_t}
    return frame, arrays


def _temperatures(
    season: np.ndarray, shape: Shape, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The latent temperature, and the day's maximum, mean and minimum (whole degrees)."""
    climate = rng.normal(0.0, 1.0, (shape[0], 1))
    common, local = ar1(rng, (1, shape[1]), 0.8), ar1(rng, shape, 0.8)
    temperature = 9.5 + 9.5 * season + climate + 3.0 * common + 1.5 * local
    spread = 6.0 + 3.0 * (season + 1) / 2 + rng.gamma(2.0, 0.8, shape)
    mean_t = np.round(temperature)
    max_t = np.round(temperature + spread / 2)
    min_t = np.round(temperature - spread / 2)
    return temperature, (max_t, mean_t, min_t)


def _humidity_pressure_visibility(
    season: np.ndarray, wet: np.ndarray, shape: Shape, rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """Humidity, sea-level pressure and visibility, each as maximum, mean and minimum."""
    mean_h = np.clip(np.round(74 + 8 * wet - 6 * season + rng.normal(0, 6, shape)), 25, 100)
    max_h = np.clip(mean_h + np.round(rng.gamma(4.0, 4.5, shape)), 0, 100)
    min_h = np.clip(mean_h - np.round(rng.gamma(4.0, 6.0, shape)), 5, 100)
    pressure = np.round(1015 + 8 * ar1(rng, shape, 0.85) - 3 * wet)
    max_v = np.where(rng.random(shape) < 0.7, 31.0, np.round(rng.uniform(10, 31, shape)))
    mean_v = np.minimum(max_v, np.round(rng.gamma(6.0, 2.0, shape)))
    min_v = np.minimum(mean_v, np.round(rng.gamma(2.0, 3.5, shape)))
    no_visibility = rng.random(shape) < 0.024
    return (
        max_h,
        mean_h,
        min_h,
        pressure + 3,
        pressure,
        pressure - 3,
        np.where(no_visibility, np.nan, max_v),
        np.where(no_visibility, np.nan, mean_v),
        np.where(no_visibility, np.nan, min_v),
    )


def _wind(shape: Shape, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximum and mean wind speed, and gusts on about a quarter of the days (NaN otherwise)."""
    mean_wind = np.round(rng.gamma(4.0, 3.0, shape))
    max_wind = mean_wind + np.round(rng.gamma(3.0, 3.5, shape))
    gust = np.where(
        rng.random(shape) < 0.23, max_wind + np.round(rng.gamma(4.0, 6.0, shape)), np.nan
    )
    return max_wind, mean_wind, gust


def _events(
    season: np.ndarray,
    wet: np.ndarray,
    mean_t: np.ndarray,
    max_t: np.ndarray,
    precipitation: np.ndarray,
    shape: Shape,
    rng: np.random.Generator,
) -> np.ndarray:
    """The ``Events`` text, e.g. ``Fog-Rain`` or ``Rain-Thunderstorm`` (``""`` for none)."""
    snow = wet & (mean_t <= 1)
    rain = wet & (mean_t >= 1) & (precipitation > 0.2)
    fog = rng.random(shape) < 0.12 + 0.08 * (season < 0)
    thunder = wet & (max_t > 20) & (precipitation > 2) & (rng.random(shape) < 0.5)
    hail = thunder & (rng.random(shape) < 0.08)
    return np.strings.rstrip(
        np.strings.add(
            np.strings.add(
                np.strings.add(np.where(fog, "Fog-", ""), np.where(rain, "Rain-", "")),
                np.strings.add(np.where(snow, "Snow-", ""), np.where(hail, "Hail-", "")),
            ),
            np.where(thunder, "Thunderstorm", ""),
        ),
        "-",
    )
