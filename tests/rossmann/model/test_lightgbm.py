"""LightGBM runs on the processed arrays and beats a constant prediction."""

from __future__ import annotations

import numpy as np
import pytest

from l6pipeline.core.params import ParameterError
from l6pipeline.rossmann.model.lightgbm import (
    LightGBMConfig,
    feature_frame,
    predict_lightgbm,
    train_lightgbm,
)
from l6pipeline.rossmann.model.metrics import rmspe
from l6pipeline.rossmann.model.processors import TabularProcessor
from tests.rossmann.model.conftest import CAT_VARS, CONT_VARS, make_frame


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


def _early_stopped(valid_scale: float, min_rounds: int):
    frame = make_frame(1500, seed=2)
    train, valid = frame.iloc[:1200], frame.iloc[1200:]
    proc = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    x_train = feature_frame(proc.transform(train), proc.cat_names, proc.cont_vars)
    x_valid = feature_frame(proc.transform(valid), proc.cat_names, proc.cont_vars)
    curve: list[float] = []
    booster = train_lightgbm(
        (x_train, train["Sales"].to_numpy()),
        proc.cat_names,
        num_boost_round=60,
        params={"num_threads": 1, "learning_rate": 0.3},
        valid=(x_valid, valid["Sales"].to_numpy() * valid_scale),
        early_stopping_rounds=3,
        curve=curve,
        min_rounds=min_rounds,
    )
    return booster, curve, x_valid


def test_early_stopping_keeps_the_best_round_and_waits_for_min_rounds():
    # Validation sales far off: the RMSPE is best after one round, so it stops early.
    booster, curve, _ = _early_stopped(valid_scale=3.0, min_rounds=0)
    assert booster.best_iteration == int(np.argmin(curve)) + 1
    assert booster.current_iteration() == booster.best_iteration + 3
    waited, _, _ = _early_stopped(valid_scale=3.0, min_rounds=25)
    assert waited.current_iteration() >= 25


def test_predictions_at_a_round_do_not_depend_on_the_validation_labels():
    """Every tree is kept (LightGBM would cut back to the best round, chosen by the labels)."""
    honest, _, x_valid = _early_stopped(valid_scale=1.0, min_rounds=20)
    shifted, _, _ = _early_stopped(valid_scale=3.0, min_rounds=20)
    assert shifted.best_iteration != honest.best_iteration
    np.testing.assert_array_equal(
        honest.predict(x_valid, num_iteration=20), shifted.predict(x_valid, num_iteration=20)
    )


def test_categorical_names_the_unordered_variables_in_the_models_order():
    names = ["Store", "Week", "State", "Year"]
    assert LightGBMConfig().categorical_among(names) == names  # None: all of them
    config = LightGBMConfig.from_params({"categorical": ["State", "Store"]})
    assert config.categorical_among(names) == ["Store", "State"]


@pytest.mark.parametrize(
    ("categorical", "named"), [(["Store", "Shop"], "Shop"), ("Store", "list of variable names")]
)
def test_a_bad_categorical_list_is_named(categorical, named):
    with pytest.raises(ParameterError, match=rf"categorical.*{named}"):
        LightGBMConfig.from_params({"categorical": categorical}).categorical_among(["Store"])
