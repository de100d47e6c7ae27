"""The synthetic stores: store.csv's columns drawn from the real shares, plus hidden traits."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from l6pipeline.rossmann.raw.schemas import (
    ASSORTMENTS,
    PROMO_INTERVALS,
    STORE_STATE_CODES,
    STORE_TYPES,
)

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
    """``n`` years: ``first_year`` plus offsets drawn by weight."""
    offsets = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return first_year + rng.choice(offsets, size=n, p=p / p.sum())


def draw_stores(n: int, first_year: int, rng: np.random.Generator) -> pd.DataFrame:
    """The store table plus its state and hidden traits (``level``, ``ticket``, ``sunday_open``)."""
    store_type = _assign(rng, _TYPE_WEIGHTS, n)
    assortment = np.empty(n, dtype=object)
    for kind in STORE_TYPES:  # four draws, one per store type
        members = store_type == kind
        weights = _ASSORTMENT_WEIGHTS[kind]
        p = np.array([weights[a] for a in ASSORTMENTS], dtype=float)
        assortment[members] = rng.choice(ASSORTMENTS, size=members.sum(), p=p / p.sum())
    competition = _competition(n, first_year, rng)
    promo2 = _promo2(n, first_year, rng)

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
            **competition,
            **promo2,
            "State": _assign(rng, _STATE_WEIGHTS, n),
            "level": level,
            "ticket": ticket,
            "sunday_open": sunday_open,
        }
    )


def _competition(n: int, first_year: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The nearest competitor's distance and opening month and year (NaN where unknown)."""
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
    return {
        "CompetitionDistance": distance,
        "CompetitionOpenSinceMonth": since_month,
        "CompetitionOpenSinceYear": since_year,
    }


def _promo2(n: int, first_year: int, rng: np.random.Generator) -> dict[str, np.ndarray | pd.Series]:
    """Promo2 participation, its start week and year and its interval (missing without it)."""
    promo2 = rng.random(n) < 0.51
    promo2_week = np.where(promo2, rng.integers(1, 51, n), np.nan).astype(float)
    promo2_year = np.where(promo2, _draw_years(rng, _PROMO2_YEARS, first_year, n), np.nan).astype(
        float
    )
    interval = np.where(
        promo2, rng.choice(np.array(PROMO_INTERVALS), size=n, p=[0.59, 0.23, 0.18]), None
    )
    return {
        "Promo2": promo2.astype("int64"),
        "Promo2SinceWeek": promo2_week,
        "Promo2SinceYear": promo2_year,
        "PromoInterval": pd.Series(interval, dtype="str"),
    }
