"""The labelled rows the model reads and the backtest windows cut from their end: the layout that
the LR finder, the backtest and the refit share (see :mod:`l6pipeline.rossmann.model.backtest`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from l6pipeline.core.params import ParameterError, raise_all
from l6pipeline.rossmann.features.recent import (
    RecentSalesConfig,
    recent_sales_columns,
    recent_sales_lag,
)
from l6pipeline.rossmann.model.backtest import SplitConfig, Window, rolling_windows
from l6pipeline.rossmann.model.split import validation_size

logger = logging.getLogger(__name__)

#: Columns kept besides the variables: what a reader needs to judge a store.
STORE_INFO = ("StoreType", "Assortment", "State")


def model_columns(cat_vars: Sequence[str], cont_vars: Sequence[str]) -> list[str]:
    """The columns of the labelled rows: keys, sales, the variables and :data:`STORE_INFO`."""
    return list(dict.fromkeys(["Date", "Store", "Sales", *cat_vars, *cont_vars, *STORE_INFO]))


def check_windows_within_lag(windows: Sequence[Window], window_rows: int | None, lag: int) -> None:
    """A window longer than the recent-sales lag would let its late rows read sales from
    inside it: the backtest would not be a forecast."""
    longest = max((w.end - w.start).days + 1 for w in windows)
    if longest > lag:
        raise ParameterError(
            "window_rows",
            f"gives windows of up to {longest} days, longer than the recent-sales lag of {lag} "
            "days (rossmann_data.recent_sales): lower window_rows or raise lag_days",
            window_rows,
        ).within("rossmann_model.split")


def _check_variables_present(
    columns: pd.Index, cat_vars: Sequence[str], cont_vars: Sequence[str]
) -> None:
    """Every variable the model reads is a column of the features ``rossmann_data`` made."""
    raise_all(
        [
            ParameterError(
                key,
                "names variables the features do not have (a RecentSales<days> column exists for "
                "each of rossmann_data.recent_sales.spans): fix the name, or change "
                "rossmann_data's parameters and run it again",
                absent,
                block="rossmann_model",
            )
            for key, variables in (("cat_vars", cat_vars), ("cont_vars", cont_vars))
            if (absent := [name for name in variables if name not in columns])
        ]
    )


def window_layout(window_rows: int, windows: Sequence[Window]) -> dict:
    """The rows per window and each window (:meth:`Window.as_dict`), oldest first."""
    return {"window_rows": window_rows, "windows": [window.as_dict() for window in windows]}


def first_prefix(rows: pd.DataFrame, layout: dict) -> pd.DataFrame:
    """The rows before every window: where nothing of the backtest can be seen."""
    return rows.loc[rows["Date"] < pd.Timestamp(layout["windows"][0]["start"])]


def select_rows(
    train_features: pd.DataFrame,
    test_features: pd.DataFrame,
    cat_vars: Sequence[str],
    cont_vars: Sequence[str],
    split: SplitConfig,
    recent_sales: RecentSalesConfig,
) -> tuple[pd.DataFrame, dict]:
    """The labelled rows (the columns the model reads, by date and store) and the layout of
    the windows cut from their end: ``backtest_folds`` windows to measure on and one before
    them to tune on. When the model reads a recent-sales column, no window may be longer than
    the lag those columns are read at (:func:`check_windows_within_lag`)."""
    _check_variables_present(train_features.columns, cat_vars, cont_vars)
    columns = [c for c in model_columns(cat_vars, cont_vars) if c in train_features.columns]
    rows = train_features[columns].sort_values(["Date", "Store"], ignore_index=True)
    window_rows = validation_size(split.window_rows, len(test_features))
    windows = rolling_windows(rows["Date"], window_rows, split.backtest_folds + 1)
    if set(recent_sales_columns(recent_sales.spans)) & set(columns):
        lag = recent_sales_lag(train_features, test_features, recent_sales)
        check_windows_within_lag(windows, split.window_rows, lag)
    for window in windows:
        logger.info(
            "window %s: %s..%s, %d rows",
            window.name,
            window.start.date(),
            window.end.date(),
            window.rows,
        )
    return rows, window_layout(window_rows, windows)
