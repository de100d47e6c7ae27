"""Short trainings on a tiny frame: the model learns, and the same seed gives the same run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from l6pipeline.core.nn import TrainConfig
from l6pipeline.rossmann.model.metrics import rmspe
from l6pipeline.rossmann.model.processors import TabularProcessor
from l6pipeline.rossmann.model.train import (
    ModelConfig,
    build_model,
    log_sales,
    predict_sales,
    train_entity_model,
)
from tests.rossmann.model.conftest import CAT_VARS, CONT_VARS, make_frame

SMALL = ModelConfig(layers=(32, 16), ps=(0.0, 0.0), emb_drop=0.0)


def _train(seed: int, epochs: int = 3):
    frame = make_frame(1200, seed=1)
    train, valid = frame.iloc[:1000], frame.iloc[1000:]
    proc = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    config = TrainConfig(
        epochs=epochs, batch_size=64, lr=1e-2, wd=0.0, seed=seed, device="cpu", progress=False
    )
    model, history = train_entity_model(
        proc,
        (proc.transform(train), train["Sales"].to_numpy()),
        (proc.transform(valid), valid["Sales"].to_numpy()),
        SMALL,
        config,
    )
    return proc, model, history, valid


def test_model_learns_and_reports_exact_rmspe():
    proc, model, history, valid = _train(seed=0, epochs=6)
    assert history[-1].valid_loss < history[0].train_loss
    predicted = predict_sales(model, proc.transform(valid), device="cpu")
    assert history[-1].metrics["rmspe"] == pytest.approx(rmspe(predicted, valid["Sales"]), rel=1e-4)
    assert history[-1].metrics["rmspe"] < 0.3


def test_same_seed_same_metrics():
    *_, history_a, _ = _train(seed=3)
    *_, history_b, _ = _train(seed=3)
    assert [r.as_dict() for r in history_a] == [r.as_dict() for r in history_b]
    *_, history_c, _ = _train(seed=4)
    assert history_c[-1].as_dict() != history_a[-1].as_dict()


def test_y_range_tops_out_at_log_of_scaled_max_sales(frame):
    proc = TabularProcessor.fit(frame, CAT_VARS, CONT_VARS)
    model = build_model(proc, max_sales=10_000.0, config=SMALL)
    assert model.y_range.tolist() == pytest.approx([0.0, math.log(12_000.0)])
    assert [n for n, _ in model.embeds.sizes] == list(proc.cardinalities.values())


def test_embedding_overrides_reach_the_model(frame):
    proc = TabularProcessor.fit(frame, CAT_VARS, CONT_VARS)
    config = ModelConfig(layers=(8,), ps=(0.0,), emb_sizes={"Store": 3})
    model = build_model(proc, 100.0, config)
    assert model.embeds.sizes[proc.cat_names.index("Store")][1] == 3


def test_log_sales_refuses_zero_sales():
    assert np.allclose(log_sales([1.0, math.e]), [0.0, 1.0])
    with pytest.raises(ValueError, match="positive sales"):
        log_sales([0.0, 3.0])


def test_unknown_model_parameter_is_rejected():
    with pytest.raises(ValueError, match="unknown model parameters"):
        ModelConfig.from_params({"layer": [10]})


def test_a_network_with_batch_norm_keeps_its_quality_under_the_moving_average():
    frame = make_frame(6000, seed=1)
    train, valid = frame.iloc[:5000], frame.iloc[5000:]
    proc = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    data = [(proc.transform(part), part["Sales"].to_numpy()) for part in (train, valid)]
    losses = {}
    for ema in (None, 0.99):
        config = TrainConfig(
            epochs=3, batch_size=128, lr=3e-3, seed=0, device="cpu", progress=False, ema=ema
        )
        _, history = train_entity_model(proc, *data, SMALL, config)
        losses[ema] = history[-1].valid_loss
    assert losses[0.99] < 1.2 * losses[None]
