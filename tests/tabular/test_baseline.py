"""The LightGBM baseline runs on the processed arrays and beats a constant prediction."""

from __future__ import annotations

import numpy as np

from l6pipeline.tabular.baseline import feature_frame, predict_lightgbm, train_lightgbm
from l6pipeline.tabular.metrics import rmspe
from l6pipeline.tabular.processors import TabularProcessor
from tests.tabular.conftest import CAT_VARS, CONT_VARS, make_frame


def test_lightgbm_beats_the_median_on_processed_features():
    frame = make_frame(1500, seed=2)
    train, valid = frame.iloc[:1200], frame.iloc[1200:]
    proc = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    x_train = feature_frame(proc.transform(train), proc.cat_names, proc.cont_vars)
    x_valid = feature_frame(proc.transform(valid), proc.cat_names, proc.cont_vars)
    assert x_train.columns.tolist() == proc.cat_names + proc.cont_vars
    booster = train_lightgbm(
        (x_train, train["Sales"].to_numpy()),
        proc.cat_names,
        num_boost_round=50,
        params={"num_threads": 1},
    )
    pred = predict_lightgbm(booster, x_valid)
    constant = np.full(len(valid), train["Sales"].median())
    assert rmspe(pred, valid["Sales"]) < 0.8 * rmspe(constant, valid["Sales"])
