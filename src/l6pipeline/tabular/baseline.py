"""A gradient-boosting baseline (LightGBM) on the network's processed features and split."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import lightgbm as lgb
import numpy as np
import pandas as pd

from l6pipeline.tabular.processors import TabularArrays
from l6pipeline.tabular.train import log_sales

DEFAULT_PARAMS = {
    "objective": "regression",  # L2 on log sales, the network's loss
    "learning_rate": 0.1,
    "num_leaves": 63,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "max_bin": 255,
    "verbose": -1,
}


def feature_frame(arrays: TabularArrays, cat_names: Sequence[str], cont_names: Sequence[str]):
    """The processed arrays as one frame: category codes (categorical) then continuous values."""
    frame = pd.DataFrame(arrays.cats, columns=list(cat_names))
    for j, name in enumerate(cont_names):
        frame[name] = arrays.conts[:, j]
    return frame


def train_lightgbm(
    train: tuple[pd.DataFrame, np.ndarray],
    cat_names: Sequence[str],
    num_boost_round: int = 500,
    params: Mapping | None = None,
    seed: int = 42,
) -> lgb.Booster:
    """Fit LightGBM on log sales; the category codes are declared categorical."""
    features, sales = train
    config = {**DEFAULT_PARAMS, **(params or {}), "seed": seed, "deterministic": True}
    dataset = lgb.Dataset(
        features, label=log_sales(sales), categorical_feature=list(cat_names), free_raw_data=False
    )
    return lgb.train(config, dataset, num_boost_round=num_boost_round)


def predict_lightgbm(booster: lgb.Booster, features: pd.DataFrame) -> np.ndarray:
    """Predicted sales (``exp`` of the log prediction)."""
    return np.exp(booster.predict(features))
