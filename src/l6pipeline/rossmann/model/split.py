"""Time-based validation split: validate on the most recent dates, as the test set follows them."""

from __future__ import annotations

import numpy as np
import pandas as pd


def time_split_mask(dates: pd.Series, n_valid: int) -> np.ndarray:
    """Boolean mask of the validation rows: the most recent dates holding about ``n_valid`` rows.

    The lesson's rule: sort by date, take the date of the ``n_valid``-th most recent row, and
    validate on every row from that date on. Whole dates go to one side, so the validation
    window may hold up to one day's rows more than ``n_valid``. Row order does not matter.
    """
    dates = pd.to_datetime(pd.Series(dates))
    if dates.isna().any():
        raise ValueError("dates contain missing values")
    if not 0 < n_valid < len(dates):
        raise ValueError(f"n_valid must be in (0, {len(dates)}), got {n_valid}")
    cutoff = dates.nlargest(n_valid).iloc[-1]
    mask = (dates >= cutoff).to_numpy()
    if mask.all():
        raise ValueError(
            f"the validation window from {cutoff.date()} would take every row: lower n_valid"
        )
    return mask


def validation_size(valid_rows: int | None, n_test: int) -> int:
    """``valid_rows`` when given, else as many rows as the test set (the lesson's choice)."""
    return int(valid_rows) if valid_rows is not None else int(n_test)
