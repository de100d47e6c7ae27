"""A store's recent sales levels and weekday-promo statistic, read only from days at least the
forecast horizon before the row (docs/rossmann_model.md#recent-sales)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from l6pipeline.core.params import (
    ParameterError,
    Parameters,
    check_each,
    check_int,
    takes_configs,
)

from .events import EVENT_KEY
from .partitions import computed

#: The column of the latest-minus-longest difference.
TREND_COLUMN = "RecentSalesTrend"
#: The column of the store's mean log sales on the row's weekday and promo state.
DAY_PROMO_COLUMN = "StoreDayPromoSales"
#: Fewer sales days than this in a store's weekday-and-promo group give NaN.
DAY_PROMO_MIN_DAYS = 4


def recent_sales_columns(spans: Sequence[int]) -> list[str]:
    """Names of the columns :func:`recent_sales` adds besides the keys."""
    means = [f"RecentSales{span}" for span in sorted(spans)]
    return means + ([TREND_COLUMN] if len(spans) > 1 else []) + [DAY_PROMO_COLUMN]


@dataclass(frozen=True)
class RecentSalesConfig(Parameters, what="recent_sales"):
    """``rossmann_data.recent_sales``: ``lag_days`` (``None``: the forecast horizon of the
    data, see :meth:`lag`) and the ``spans`` (days) of the means."""

    lag_days: int | None = None
    spans: tuple[int, ...] = (28, 91, 365)

    def __post_init__(self) -> None:
        check_int("lag_days", self.lag_days, minimum=1, optional=True)
        check_each(check_int, "spans", self.spans, minimum=1)
        if not self.spans or len(set(self.spans)) != len(self.spans):
            raise ParameterError(
                "spans", "must be one or more different numbers of days", self.spans
            )
        object.__setattr__(self, "spans", tuple(sorted(self.spans)))

    def lag(self, last_sale: pd.Timestamp | None, last_day: pd.Timestamp) -> int:
        """The lag for data whose last sale is ``last_sale`` and last (test) day ``last_day``:
        the days between, the horizon a forecast must reach; an explicit ``lag_days`` shorter
        than that is refused (it would read sales the forecast cannot know)."""
        horizon = 0 if pd.isna(last_sale) else (pd.Timestamp(last_day) - last_sale).days
        if self.lag_days is None:
            return max(horizon, 1)
        if self.lag_days < horizon:
            raise ParameterError(
                "lag_days",
                f"must be at least the forecast horizon, {horizon} days from the last sale "
                "to the last test day (or null: that horizon)",
                self.lag_days,
            ).within("rossmann_data.recent_sales")
        return self.lag_days


def _sold(history: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``history`` with positive sales (none when it has no ``Sales``)."""
    if "Sales" not in history.columns:
        return history.iloc[:0].assign(Sales=np.float64(0))
    return history.loc[history["Sales"].to_numpy(dtype=float, na_value=0) > 0]


def day_promo_sales(
    sold: pd.DataFrame, log_sales: np.ndarray, keys: pd.DataFrame, lag_days: int
) -> np.ndarray:
    """``StoreDayPromoSales`` of each (Store, Date, Promo) row: the store's mean log sales on that
    weekday and promo state up to ``lag_days`` before it (NaN below ``DAY_PROMO_MIN_DAYS`` days)."""
    group = ["Store", "Weekday", "Promo"]
    sold = pd.DataFrame(
        {
            "Store": sold["Store"].to_numpy(),
            "Weekday": pd.DatetimeIndex(sold["Date"]).day_of_week.to_numpy(),
            "Promo": sold["Promo"].to_numpy(np.int64),
            "Date": sold["Date"].to_numpy("datetime64[ns]"),
            "log": log_sales,
        }
    ).sort_values([*group, "Date"], kind="stable")
    totals = sold.groupby(group, sort=False)["log"]
    sold = sold.assign(total=totals.cumsum(), count=totals.cumcount() + 1)
    queries = pd.DataFrame(
        {
            "Store": keys["Store"].to_numpy(),
            "Weekday": pd.DatetimeIndex(keys["Date"]).day_of_week.to_numpy(),
            "Promo": keys["Promo"].to_numpy(np.int64),
            "Date": (keys["Date"] - pd.Timedelta(days=lag_days)).to_numpy("datetime64[ns]"),
            "row": np.arange(len(keys)),
        }
    ).sort_values("Date", kind="stable")
    found = pd.merge_asof(
        queries, sold.sort_values("Date", kind="stable"), on="Date", by=group, direction="backward"
    ).sort_values("row")
    means = (found["total"] / found["count"]).to_numpy(np.float64)
    return np.where(found["count"].to_numpy(np.float64) >= DAY_PROMO_MIN_DAYS, means, np.nan)


def recent_sales(
    history: pd.DataFrame, keys: pd.DataFrame, lag_days: int, spans: Sequence[int]
) -> pd.DataFrame:
    """The recent-sales columns for each (Store, Date, Promo) of ``keys`` from the positive ``Sales``
    of ``history``; a span with under ``span // 4`` days of sales gives NaN."""
    keys = keys.drop_duplicates(list(EVENT_KEY)).reset_index(drop=True)
    out = keys[list(EVENT_KEY)].copy()
    sold = _sold(history)
    if sold.empty or out.empty:
        return out.assign(**{column: np.nan for column in recent_sales_columns(spans)})
    log_sales = np.log(sold["Sales"].to_numpy(np.float64))
    out[DAY_PROMO_COLUMN] = day_promo_sales(sold, log_sales, keys, lag_days)
    by_day = pd.Series(log_sales, index=pd.MultiIndex.from_frame(sold[list(EVENT_KEY)]))
    wide = by_day.groupby(level=list(EVENT_KEY)).mean().unstack("Store")  # Date x Store
    days = pd.date_range(
        min(wide.index.min(), out["Date"].min()), max(wide.index.max(), out["Date"].max())
    )
    wide = wide.reindex(index=days, columns=np.union1d(wide.columns, out["Store"].unique()))
    row = wide.index.get_indexer(out["Date"])
    col = wide.columns.get_indexer(out["Store"])
    for span in sorted(spans):
        means = wide.rolling(span, min_periods=max(1, span // 4)).mean().shift(lag_days)
        out[f"RecentSales{span}"] = means.to_numpy()[row, col]
    if len(spans) > 1:
        out[TREND_COLUMN] = out[f"RecentSales{min(spans)}"] - out[f"RecentSales{max(spans)}"]
    return out[[*EVENT_KEY, *recent_sales_columns(spans)]]


@takes_configs
def recent_sales_lag(train: Any, test: Any, config: RecentSalesConfig) -> int:
    """The lag of ``config`` (``rossmann_data.recent_sales``) for the whole of train + test
    (pandas or Dask frames), resolved once: a store partition alone could see another
    horizon."""
    last_sale = computed(train["Date"][train["Sales"] > 0].max())
    last_day = max(computed(train["Date"].max()), computed(test["Date"].max()))
    return config.lag(last_sale, last_day)


@takes_configs
def compute_recent_sales(
    train: pd.DataFrame, test: pd.DataFrame, lag_days: int, config: RecentSalesConfig
) -> pd.DataFrame:
    """:func:`recent_sales` for every (Store, Date) of train and test, from train's sales."""
    history = pd.concat(
        [train[[*EVENT_KEY, "Promo", "Sales"]], test[[*EVENT_KEY, "Promo"]]], ignore_index=True
    )
    return recent_sales(history, history, lag_days, config.spans)
