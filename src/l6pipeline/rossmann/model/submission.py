"""The Kaggle submission file: ``Id,Sales`` for every test row."""

from __future__ import annotations

import numpy as np
import pandas as pd


def kaggle_submission(test: pd.DataFrame, predicted_sales: np.ndarray) -> pd.DataFrame:
    """``Id, Sales`` sorted by ``Id``; stores known to be closed (``Open == 0``) sell 0.

    A missing ``Open`` counts as open (the store is predicted), as the competition's few
    missing values are all open days.
    """
    predicted_sales = np.asarray(predicted_sales, dtype=np.float64).reshape(-1)
    if len(predicted_sales) != len(test):
        raise ValueError(f"{len(predicted_sales)} predictions for {len(test)} test rows")
    closed = test["Open"].eq(0).fillna(False).to_numpy(dtype=bool)
    sales = np.where(closed, 0.0, predicted_sales)
    submission = pd.DataFrame({"Id": test["Id"].astype("int64").to_numpy(), "Sales": sales})
    return submission.sort_values("Id", ignore_index=True)
