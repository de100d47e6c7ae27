"""Ensembles (log-space means of networks, LightGBM blend, RMSPE scale) on a tiny frame."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from l6pipeline.core.nn import TrainConfig
from l6pipeline.core.params import ParameterError
from l6pipeline.rossmann.model.ensemble import (
    EnsembleConfig,
    SalesEnsemble,
    fit_blend,
    network_log_sales,
    rmspe_scale,
)
from l6pipeline.rossmann.model.lightgbm import (
    LightGBMConfig,
    feature_frame,
    predict_lightgbm,
    train_lightgbm,
)
from l6pipeline.rossmann.model.metrics import rmspe
from l6pipeline.rossmann.model.processors import TabularProcessor
from l6pipeline.rossmann.model.train import (
    ModelConfig,
    initial_model,
    log_sales,
    member_seeds,
    predict_sales,
    train_entity_model,
)
from tests.rossmann.model.conftest import CAT_VARS, CONT_VARS, make_frame

SMALL = ModelConfig(layers=(16,), ps=(0.0,), emb_drop=0.0)


@pytest.fixture(scope="module")
def data():
    frame = make_frame(900, seed=2)
    train, valid = frame.iloc[:700], frame.iloc[700:]
    proc = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    return (
        proc,
        (proc.transform(train), train["Sales"].to_numpy()),
        (proc.transform(valid), valid["Sales"].to_numpy()),
    )


def _network(data, seed: int):
    proc, train, valid = data
    config = TrainConfig(epochs=2, batch_size=64, lr=1e-2, seed=seed, device="cpu", progress=False)
    return train_entity_model(proc, train, valid, SMALL, config)[0]


def test_ensemble_of_identical_seeds_equals_one_network(data):
    _, _, (arrays, _) = data
    one = _network(data, seed=5)
    twice = SalesEnsemble([one, _network(data, seed=5)])
    assert np.allclose(twice.predict(arrays), predict_sales(one, arrays), rtol=1e-6)


def test_ensemble_of_two_seeds_is_their_log_space_mean(data):
    _, _, (arrays, _) = data
    a, b = _network(data, seed=5), _network(data, seed=6)
    logs = [network_log_sales(a, arrays), network_log_sales(b, arrays)]
    pair = SalesEnsemble([a, b])
    assert not np.allclose(logs[0], logs[1])
    assert np.allclose(pair.predict(arrays), np.exp((logs[0] + logs[1]) / 2), rtol=1e-9)
    assert np.allclose(predict_sales(pair, arrays), pair.predict(arrays))


def test_blend_and_scale_apply_in_log_space(data):
    proc, train, (arrays, _) = data
    names = (proc.cat_names, proc.cont_vars)
    booster = train_lightgbm(
        (feature_frame(train[0], *names), train[1]), proc.cat_names, num_boost_round=20
    )
    net = _network(data, seed=5)
    model = SalesEnsemble([net], booster, 0.25, names, scale=0.97)
    expected = 0.97 * np.exp(
        0.75 * network_log_sales(net, arrays)
        + 0.25 * np.log(predict_lightgbm(booster, feature_frame(arrays, *names)))
    )
    assert np.allclose(model.predict(arrays), expected, rtol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"networks": []}, "at least one network"),
        ({"blend_weight": 1.5}, r"\[0, 1\]"),
        ({"blend_weight": 0.5}, "needs a booster"),
        ({"scale": 0.0}, "positive"),
    ],
)
def test_invalid_ensembles_are_rejected(data, kwargs, match):
    arguments = {"networks": [object()], **kwargs}
    with pytest.raises(ValueError, match=match):
        SalesEnsemble(**arguments)


@settings(max_examples=50, deadline=None)
@given(
    ratios=st.lists(st.floats(0.5, 2.0), min_size=2, max_size=40),
    sales=st.floats(10, 1e4),
)
def test_rmspe_scale_is_the_minimum(ratios, sales):
    """The closed form beats every scale on a fine grid (the definition of the optimum)."""
    target = np.full(len(ratios), sales)
    predicted = np.asarray(ratios) * sales
    best = rmspe_scale(predicted, target)
    grid = np.linspace(0.3, 2.0, 400)
    assert (
        rmspe(best * predicted, target) <= min(rmspe(s * predicted, target) for s in grid) + 1e-12
    )


def test_fit_blend_beats_both_ends_and_reports_its_rmspe():
    rng = np.random.default_rng(0)
    sales = np.exp(rng.normal(8, 0.5, 2000))
    net = np.log(sales) + rng.normal(0.02, 0.1, 2000)  # two models with independent errors
    gbm = np.log(sales) + rng.normal(-0.02, 0.1, 2000)
    blend = fit_blend(net, gbm, sales, calibrate=False)
    assert 0.3 <= blend.weight <= 0.7  # independent, equally good: about half each
    assert blend.rmspe <= min(rmspe(np.exp(net), sales), rmspe(np.exp(gbm), sales))
    mixed = np.exp((1 - blend.weight) * net + blend.weight * gbm)
    assert blend.rmspe == pytest.approx(rmspe(mixed, sales)) and blend.scale == 1.0
    calibrated = fit_blend(net, gbm, sales, calibrate=True)
    assert calibrated.scale < 1.0 and calibrated.rmspe <= blend.rmspe  # RMSPE favours lower
    alone = fit_blend(net, None, sales, calibrate=False)
    assert alone.weight == 0.0 and alone.rmspe == pytest.approx(rmspe(np.exp(net), sales))


def test_untrained_network_starts_at_the_mean_log_sales(data):
    proc, (arrays, sales), _ = data
    model = initial_model(proc, sales, SMALL, seed=0)
    start = network_log_sales(model.eval(), arrays)
    assert abs(start.mean() - log_sales(sales).mean()) < 0.05  # random weights spread around it
    no_start = initial_model(proc, sales, ModelConfig(layers=(16,), ps=(0.0,), emb_drop=0.0,
                                                       start_at_mean=False), seed=0)  # fmt: skip
    assert np.abs(network_log_sales(no_start.eval(), arrays) - log_sales(sales).mean()).min() > 1


def test_member_seeds_follow_the_base_seed():
    assert member_seeds(42, 3) == [42, 43, 44]
    with pytest.raises(ValueError, match="at least one member"):
        member_seeds(42, 0)


@pytest.mark.parametrize(
    ("config", "params", "message"),
    [
        (EnsembleConfig, {"members": 0}, "members = 0: must be an integer >= 1"),
        (EnsembleConfig, {"calibrate": "yes"}, "calibrate = 'yes': must be one of True, False"),
        (EnsembleConfig, {"member": 2}, "member: unknown ensemble parameters"),
        (LightGBMConfig, {"num_boost_round": 0}, "num_boost_round = 0: must be an integer >= 1"),
        (
            LightGBMConfig,
            {"early_stopping_rounds": 0},
            "early_stopping_rounds = 0: must be an integer >= 1 or null",
        ),
        (LightGBMConfig, {"lgb_params": [1]}, "lgb_params = [1]: must be a mapping"),
        (TrainConfig, {"patience": 0}, "patience = 0: must be an integer >= 1 or null"),
        (TrainConfig, {"ema": 1.5}, "ema = 1.5: must be a number >= 0 and <= 1 or null"),
    ],
)
def test_ensemble_lightgbm_and_training_settings_name_the_bad_key(config, params, message):
    with pytest.raises(ParameterError) as caught:
        config.from_params(params)
    assert str(caught.value).startswith(message)
