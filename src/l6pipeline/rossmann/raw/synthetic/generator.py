"""Synthetic Rossmann data: the seven raw tables in the Kaggle / fast.ai format, from one seed.

What the tables hold and why: docs/rossmann_raw.md ("Synthetic tables").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from l6pipeline.rossmann.raw.schemas import COLUMNS, STATE_NAMES, STORE_STATE_CODES, TABLES
from l6pipeline.rossmann.raw.synthetic.calendar import promo_days, school_holidays, state_holidays
from l6pipeline.rossmann.raw.synthetic.sales import layout_test, layout_train, sales_grids
from l6pipeline.rossmann.raw.synthetic.stores import draw_stores
from l6pipeline.rossmann.raw.synthetic.trend import googletrend_table
from l6pipeline.rossmann.raw.synthetic.weather import weather_table

__all__ = ["SyntheticConfig", "generate_rossmann"]


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
        """Build from a parameters dict, rejecting unknown keys and impossible values."""
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
    """The seven raw tables (keys as in ``schemas.TABLES``), with the validated columns and
    dtypes; ``csv_files.write_raw_csv`` writes them like the real files."""
    if not isinstance(config, SyntheticConfig):
        config = SyntheticConfig.from_params(config)
    root = np.random.default_rng(config.seed)
    rng_store, rng_calendar, rng_weather, rng_trend, rng_sales, rng_layout = root.spawn(6)

    start, end = pd.Timestamp(config.start_date), pd.Timestamp(config.end_date)
    days = pd.date_range(start, end + pd.Timedelta(days=config.test_days), freq="D")
    stores = draw_stores(config.n_stores, start.year, rng_store)
    weather, weather_arrays = weather_table(days, rng_weather)
    googletrend, trend_latent = googletrend_table(days, rng_trend)

    state_index = np.array([STORE_STATE_CODES.index(code) for code in stores["State"]])
    holidays = state_holidays(STORE_STATE_CODES, days)[state_index]
    school = school_holidays(STORE_STATE_CODES, days, rng_calendar)[state_index]
    promo = promo_days(days, rng_calendar)

    open_, sales, customers = sales_grids(
        days, stores, holidays, school, promo, weather_arrays, trend_latent, rng_sales
    )
    grids = {
        "Open": open_,
        "Promo": np.broadcast_to(promo[None, :], open_.shape),
        "StateHoliday": holidays,
        "SchoolHoliday": school,
        "Sales": sales,
        "Customers": customers,
    }
    is_train = np.asarray(days <= end)
    refurbishment = (
        pd.Timestamp(config.refurbishment_start),
        pd.Timestamp(config.refurbishment_end),
    )
    train = layout_train(
        days, stores, grids, is_train, config.refurbished_fraction, refurbishment, rng_layout
    )
    test = layout_test(days, stores, grids, is_train, config.test_store_fraction, rng_layout)
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
