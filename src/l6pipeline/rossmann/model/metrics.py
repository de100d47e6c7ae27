"""Root mean squared percentage error, the Rossmann competition's metric.

``RMSPE = sqrt(mean(((y - y_hat) / y) ** 2))`` over rows with ``y != 0`` (Kaggle ignores days
with zero sales). The model predicts log sales, so the ``exp_`` variants take logs.

:func:`exp_rmspe` is exact over the whole set: the headline number. fast.ai's ``exp_rmspe``
metric is instead a mean of per-batch RMSPEs (weighted by batch size), which is not the same
number; :func:`batched_exp_rmspe` reproduces it, for comparison with the lesson only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

ArrayLike = np.ndarray | torch.Tensor

FASTAI_VALID_BATCH_SIZE = 64  # fast.ai v1's validation batch size at the lesson's bs=64


def _flat64(values: ArrayLike) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64).reshape(-1)


def rmspe(pred: ArrayLike, target: ArrayLike) -> float:
    """Exact RMSPE over all rows with a non-zero target (sales, not logs)."""
    pred, target = _flat64(pred), _flat64(target)
    if pred.shape != target.shape:
        raise ValueError(f"shapes differ: {pred.shape} vs {target.shape}")
    keep = target != 0
    if not keep.any():
        raise ValueError("RMSPE is undefined: every target is zero")
    pct = (target[keep] - pred[keep]) / target[keep]
    return float(np.sqrt(np.mean(pct**2)))


def exp_rmspe(log_pred: ArrayLike, log_target: ArrayLike) -> float:
    """Exact RMSPE of ``exp(log_pred)`` against ``exp(log_target)`` over the whole set."""
    return rmspe(np.exp(_flat64(log_pred)), np.exp(_flat64(log_target)))


def batched_exp_rmspe(
    log_pred: ArrayLike, log_target: ArrayLike, batch_size: int = FASTAI_VALID_BATCH_SIZE
) -> float:
    """fast.ai's reported ``exp_rmspe``: per-batch RMSPE, averaged weighted by batch size.

    Batches are consecutive rows in the given order, as in fast.ai's unshuffled validation
    loader. This is *not* the RMSPE of the whole set (a mean of square roots is at most the
    square root of the mean); report :func:`exp_rmspe` as the metric.
    """
    pred, target = np.exp(_flat64(log_pred)), np.exp(_flat64(log_target))
    total = 0.0
    for start in range(0, len(target), batch_size):
        stop = start + batch_size
        total += rmspe(pred[start:stop], target[start:stop]) * len(target[start:stop])
    return total / len(target)


def per_store_rmspe(stores: ArrayLike, pred: ArrayLike, target: ArrayLike) -> pd.DataFrame:
    """RMSPE per store, worst first: ``Store, days, mean_sales, mean_predicted, rmspe``."""
    pred, target = _flat64(pred), _flat64(target)
    frame = pd.DataFrame({"Store": np.asarray(stores), "pred": pred, "target": target})
    frame = frame[frame["target"] != 0]
    frame["sq_pct"] = ((frame["target"] - frame["pred"]) / frame["target"]) ** 2
    table = frame.groupby("Store").agg(
        days=("target", "size"),
        mean_sales=("target", "mean"),
        mean_predicted=("pred", "mean"),
        mse_pct=("sq_pct", "mean"),
    )
    table["rmspe"] = np.sqrt(table.pop("mse_pct"))
    return table.sort_values("rmspe", ascending=False).reset_index()


def log_sales(sales: np.ndarray) -> np.ndarray:
    """The target: natural log of sales (rows with zero sales are not trained on)."""
    sales = np.asarray(sales, dtype=np.float64)
    if (sales <= 0).any():
        raise ValueError("log sales needs positive sales: drop closed / zero-sales days first")
    return np.log(sales)
