"""The run's report: metrics and summary by role, the worst stores, and the figures drawn from the
shared small backtest (conftest) and its model."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from matplotlib.figure import Figure

from l6pipeline.core.params import ParameterError
from l6pipeline.rossmann.model import plots, report
from l6pipeline.rossmann.model.procedure import final_model
from tests.rossmann.model.conftest import TINY


def test_choice_spread_is_max_minus_min_of_each_windows_own_choices():
    tuning = {
        "W2": {"alone_blend_weight": 0.2, "alone_scale": 0.98},
        "W1": {"alone_blend_weight": 0.5, "alone_scale": 0.97},
    }
    spread = report.choice_spread(tuning)
    assert spread == pytest.approx({"blend_weight": 0.3, "scale": 0.01})


def test_the_metrics_name_each_figure_by_its_role(result):
    flat, summary = report.run_report(result, "2015-07-31", 1500, {"networks": 2.0})
    assert flat["backtest.rmspe"] == summary["backtest_rmspe"] == result.mean["rmspe"]
    assert flat["backtest.W1.rmspe"] == result.folds["W1"]["rmspe"]
    assert flat["tuning.W2.rmspe"] == result.tuning["W2"]["rmspe"]
    assert flat["choices.epoch"] == result.final_choices.epoch
    assert {"choices.spread.blend_weight", "choices.spread.scale"} <= set(flat)
    assert flat["seconds.refit.networks"] == 2.0
    assert flat["seconds.before_W1.processors"] == result.seconds["before_W1"]["processors"]
    assert flat["networks"] == 1.0 and flat["refit_rows"] == 1500.0
    assert summary["windows"] == [w.as_dict() for w in result.windows]
    assert summary["choices"] == result.final_choices.as_dict()
    assert summary["seconds"]["refit"] == {"networks": 2.0}
    assert summary["trained_until"] == "2015-07-31"
    # the totals beside the grouped figures (not those named like a group: seconds_per_epoch)
    assert {"networks", "training_seconds", "refit_rows"} <= set(summary)
    assert not {key for key in flat if key.startswith(report.ROLES)} & set(summary)


def test_without_a_refit_the_seconds_are_the_prefixes_alone(result):
    flat, summary = report.run_report(result, "2015-06-01", 900, {})
    assert set(summary["seconds"]) == {"before_W3", "before_W2", "before_W1"}
    assert not any(key.startswith("seconds.refit.") for key in flat)


def test_worst_stores_are_the_highest_rmspe_with_their_store_info():
    predictions = pd.DataFrame(
        {"Store": [1, 1, 2, 2, 3], "Sales": [100.0] * 5, "Predicted": [100, 90, 50, 150, 99]}
    )
    rows = pd.DataFrame({"Store": [1, 2, 3, 3], "State": ["BY", "HE", "NW", "NW"]})
    table = report.worst_stores(predictions, rows, 2)
    assert table["Store"].tolist() == [2, 1]
    assert table["State"].tolist() == ["HE", "BY"]
    assert table.loc[0, "rmspe"] == pytest.approx(0.5)
    assert report.worst_stores(predictions, rows.drop(columns="State"), 5).shape == (3, 5)


def test_the_learning_curve_circles_the_kept_epoch_with_lightgbm_at_its_rounds(result, monkeypatch):
    drawn = {}

    def learning_curve(history, lightgbm_rmspe):
        drawn.update(history=history, lightgbm_rmspe=lightgbm_rmspe)
        return Figure()

    monkeypatch.setattr(plots, "learning_curve", learning_curve)
    _, summary = report.run_report(result, "2015-06-01", 900, {})
    report.learning_curve_figure(result.history, result.booster_curves, summary)
    history = drawn["history"]
    assert set(history["prefix"]) == {"before_W1"}
    assert history.loc[history["kept"], "epoch"].tolist() == [result.final_choices.epoch]
    rounds = result.final_choices.rounds
    curve = result.booster_curves.query("prefix == 'before_W1'")["rmspe"].to_numpy()
    assert drawn["lightgbm_rmspe"] == (curve[rounds - 1] if rounds else None)


def test_the_embedding_figure_skips_a_continuous_variable(rows, result, caplog):
    model, fit = final_model(rows, TINY, result, refit=False)
    with caplog.at_level(logging.WARNING, logger=report.__name__):
        figure = report.embedding_figure(
            model, fit.processor.to_dict(), rows, ["Store", "DayOfWeek", "Promo"]
        )
    assert isinstance(figure, Figure)
    assert "no embedding for 'Promo': not a categorical input" in caplog.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"worst_stores": -1}, "worst_stores = -1: must be an integer >= 0"),
        ({"embedding_plots": ["Store", 3]}, "embedding_plots[1] = 3: must be a non-empty name"),
        ({"embedding_plot": []}, "embedding_plot: unknown report parameters"),
    ],
)
def test_report_config_names_the_bad_key(params, message):
    with pytest.raises(ParameterError) as caught:
        report.ReportConfig.from_params(params)
    assert message in str(caught.value)


def test_report_config_keeps_the_names_as_a_tuple():
    config = report.ReportConfig.from_params({"embedding_plots": ["Store"]})
    assert config.embedding_plots == ("Store",) and config.worst_stores == 20
