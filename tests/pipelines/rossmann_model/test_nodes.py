"""The ``rossmann_model`` nodes take the mappings Kedro passes and hand typed configs on."""

from __future__ import annotations

import pandas as pd

from l6pipeline.core.nn.training import EpochResult
from l6pipeline.pipelines.rossmann_model.nodes import _log_epoch, build_procedure, select_rows
from l6pipeline.pipelines.rossmann_model.parameters import RossmannModelParameters
from l6pipeline.rossmann.features.recent import RecentSalesConfig
from l6pipeline.rossmann.model import layout
from tests.conftest import base_parameters
from tests.rossmann.model.conftest import make_frame


def test_select_rows_builds_the_typed_parameters_from_kedros_mappings():
    model = base_parameters("rossmann_model")
    model |= {"cat_vars": ["Store", "DayOfWeek"], "cont_vars": ["Promo"]}
    model["split"] = {"window_rows": 100, "backtest_folds": 1}
    model["lightgbm"]["categorical"] = ["Store"]
    train, test = make_frame(600, seed=1), make_frame(50, seed=2, start="2015-05-01")
    rows, windows = select_rows(train, test, model, {})
    params = RossmannModelParameters.from_params(model)
    expected = layout.select_rows(
        train, test, params.cat_vars, params.cont_vars, params.split, RecentSalesConfig()
    )
    pd.testing.assert_frame_equal(rows, expected[0])
    assert windows == expected[1] and len(windows["windows"]) == 2


def test_build_procedure_resolves_lr_auto_to_the_finders_suggestion():
    model = base_parameters("rossmann_model")
    model["train"]["lr"] = "auto"
    procedure = build_procedure(model, {"suggested_lr": 0.0123})
    params = RossmannModelParameters.from_params(model)
    assert procedure.train.lr == 0.0123 and procedure.train.epochs == params.train.epochs
    assert (procedure.model, procedure.ensemble, procedure.lightgbm) == (
        params.network,
        params.ensemble,
        params.lightgbm,
    )
    assert list(procedure.cat_vars) == base_parameters("rossmann_model")["cat_vars"]
    model["train"]["lr"] = 0.003
    assert build_procedure(model, {"suggested_lr": 0.0123}).train.lr == 0.003


def test_an_epoch_line_shows_the_next_windows_rmspe_only_where_there_is_one(caplog):
    caplog.set_level("INFO", logger="l6pipeline.pipelines.rossmann_model.nodes")
    _log_epoch("before_W1", 0, EpochResult(0, 0.5, 0.4, metrics={"rmspe": 0.25}))
    _log_epoch("refit", 1, EpochResult(2, 0.125, float("nan")))  # no next window: no metrics
    windowed, refit = (record.getMessage() for record in caplog.records)
    assert windowed == "before_W1, network 0, epoch 1: train_loss 0.50000, next window RMSPE 0.2500"
    assert refit == "refit, network 1, epoch 3: train_loss 0.12500"
