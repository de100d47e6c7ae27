"""Rolling windows, choices made on one window and applied to the next, and the honesty of the
backtest: what is reported on a window does not depend on that window's labels."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from l6pipeline.core.params import ParameterError
from l6pipeline.rossmann.model.backtest import (
    Choices,
    SplitConfig,
    WindowForecast,
    choose,
    rolling_windows,
)
from l6pipeline.rossmann.model.ensemble import fit_blend
from l6pipeline.rossmann.model.metrics import rmspe
from l6pipeline.rossmann.model.procedure import final_model, fit_prefix, run_backtest
from l6pipeline.rossmann.model.train import predict_sales
from tests.rossmann.model.conftest import TINY


@settings(max_examples=60, deadline=None)
@given(
    per_day=st.lists(st.integers(1, 6), min_size=12, max_size=60),
    window_rows=st.integers(1, 15),
    count=st.integers(1, 3),
)
def test_rolling_windows_are_consecutive_whole_days_of_the_asked_size(per_day, window_rows, count):
    days = pd.date_range("2015-01-01", periods=len(per_day))
    dates = pd.Series(days.repeat(per_day))
    try:
        windows = rolling_windows(dates.sample(frac=1, random_state=0), window_rows, count)
    except ParameterError as error:
        assert "cannot hold" in str(error) and "backtest_folds" in str(error)
        return
    assert [w.name for w in windows] == [f"W{i}" for i in range(count, 0, -1)]
    assert windows[-1].end == days[-1]
    assert (dates < windows[0].start).any()  # a prefix to train on is left
    rows_per_day = pd.Series(per_day, index=days)
    for earlier, later in zip(windows, windows[1:], strict=False):
        # consecutive: the later one starts on the first labelled day after the earlier one
        assert later.start == days[days > earlier.end][0]
    for window in windows:
        inside = rows_per_day[window.start : window.end]
        assert window.rows == inside.sum() == window.mask(dates).sum()
        # the lesson's rule: at least window_rows, less than one more day's rows beyond it
        assert window_rows <= window.rows < window_rows + inside.iloc[0]


def test_split_config_names_the_bad_key():
    with pytest.raises(ParameterError, match="backtest_folds"):
        SplitConfig.from_params({"backtest_folds": 0})
    with pytest.raises(ParameterError, match="valid_rows"):
        SplitConfig.from_params({"valid_rows": 10})


def _forecast(rng: np.random.Generator) -> WindowForecast:
    """Three epochs of which the second is nearly exact; LightGBM best after 4 rounds."""
    sales = rng.uniform(1000, 5000, 200)
    noise = [0.3, 0.02, 0.15]
    network_log = np.stack([np.log(sales) + rng.normal(0, s, 200) for s in noise])
    curve = [0.5, 0.3, 0.2, 0.1, 0.15, 0.2]
    offsets = {r: rng.normal(0, curve[r - 1], 200) for r in range(1, 7)}
    return WindowForecast(sales, network_log, curve, lambda r: np.log(sales) + offsets[r])


def test_choose_takes_the_best_epoch_and_rounds_then_fits_the_blend_for_them():
    forecast = _forecast(np.random.default_rng(0))
    choices = forecast.choose(blend_lightgbm=True, calibrate=True)
    assert choices.epoch == 1
    blend = fit_blend(forecast.network_log[1], forecast.booster_log(4), forecast.sales, True)
    assert choices.blend_weight == blend.weight and choices.scale == pytest.approx(blend.scale)
    assert choices.rounds == (4 if blend.weight > 0 else 0)
    assert rmspe(np.exp(forecast.predict_log(choices)), forecast.sales) == pytest.approx(
        blend.rmspe
    )
    alone = forecast.choose(blend_lightgbm=False, calibrate=False)
    assert (alone.rounds, alone.blend_weight, alone.scale) == (0, 0.0, 1.0)


def test_predict_log_applies_choices_made_elsewhere():
    forecast = _forecast(np.random.default_rng(1))
    choices = Choices(epoch=2, rounds=5, blend_weight=0.25, scale=0.9)
    expected = 0.75 * forecast.network_log[2] + 0.25 * forecast.booster_log(5) + np.log(0.9)
    np.testing.assert_allclose(forecast.predict_log(choices), expected)
    parts = forecast.part_rmspe(choices)
    assert parts["networks"] == pytest.approx(
        rmspe(np.exp(forecast.network_log[2]), forecast.sales)
    )
    assert parts["lightgbm"] == pytest.approx(
        rmspe(np.exp(forecast.booster_log(5)), forecast.sales)
    )


def test_backtest_measures_each_window_with_choices_made_on_the_one_before(result):
    assert [w.name for w in result.windows] == ["W3", "W2", "W1"]
    assert set(result.folds) == {"W2", "W1"}  # W3 only tunes
    for name, tuned_on in (("W2", "W3"), ("W1", "W2")):
        made = result.tuning[tuned_on]
        assert result.choices[name].as_dict() == {
            k: made[k] for k in result.choices[name].as_dict()
        }
    assert result.mean["rmspe"] == pytest.approx(
        np.mean([f["rmspe"] for f in result.folds.values()])
    )
    predictions = result.predictions
    for name, fold in result.folds.items():
        window = predictions[predictions["Window"] == name]
        assert len(window) == fold["rows"]
        assert rmspe(window["Predicted"], window["Sales"]) == pytest.approx(fold["rmspe"])


def test_a_window_s_backtest_does_not_depend_on_its_own_labels(rows, result):
    """Shifting the future: new sales in W1 change nothing reported on W1; new sales in W2
    (where W1's choices were made) do."""
    w1 = result.windows[-1].mask(rows["Date"])
    scaled = rows.assign(Sales=np.where(w1, rows["Sales"] * 1.7, rows["Sales"]))
    again = run_backtest(scaled, TINY, window_rows=150, folds=2)
    before = result.predictions.query("Window == 'W1'")["Predicted"].to_numpy()
    after = again.predictions.query("Window == 'W1'")["Predicted"].to_numpy()
    np.testing.assert_array_equal(before, after)
    assert again.choices["W1"] == result.choices["W1"]

    w2 = result.windows[-2].mask(rows["Date"])
    rng = np.random.default_rng(0)
    noisy = rows.assign(
        Sales=np.where(w2, rows["Sales"] * rng.uniform(0.5, 2, len(rows)), rows["Sales"])
    )
    moved = run_backtest(noisy, TINY, window_rows=150, folds=2)
    assert moved.choices["W1"] != result.choices["W1"] or not np.array_equal(
        moved.predictions.query("Window == 'W1'")["Predicted"].to_numpy(), before
    )


def test_refit_sees_every_labelled_row_with_the_choices_made_on_w1(rows, result):
    late_store = rows.assign(Store=np.where(rows["Date"] == rows["Date"].max(), 99, rows["Store"]))
    model, fit = final_model(late_store, TINY, result, refit=True)
    processor, history = fit.processor, pd.DataFrame(fit.history)
    assert set(fit.seconds) == {"processors", "networks"} | ({"lightgbm"} if fit.booster else set())
    assert model.trained_until == str(rows["Date"].max().date())
    assert 99 in processor.categorify.categories["Store"]  # a store seen only on the last day
    choices = result.final_choices
    assert history["epoch"].max() == choices.epoch  # stopped at the chosen epoch
    assert (model.blend_weight, model.scale) == (choices.blend_weight, choices.scale)
    if choices.rounds:
        assert model.booster.num_trees() == choices.rounds
    again, _ = final_model(late_store, TINY, result, refit=True)
    arrays = processor.transform(late_store)
    np.testing.assert_array_equal(predict_sales(model, arrays), predict_sales(again, arrays))


def test_without_refit_the_model_is_the_last_prefix_at_the_chosen_epoch(rows, result):
    model, fit = final_model(rows, TINY, result, refit=False)
    processor = fit.processor
    w1 = result.windows[-1]
    assert model.trained_until == str((w1.start - pd.Timedelta(days=1)).date())
    window = rows.loc[w1.mask(rows["Date"])]
    predicted = predict_sales(model, processor.transform(window))
    tuned = result.last_fit.forecast.predict_log(result.final_choices)
    np.testing.assert_allclose(np.log(predicted), tuned, rtol=1e-5)


def test_a_refit_needs_choices(rows):
    with pytest.raises(ValueError, match="choices"):
        fit_prefix(rows, None, TINY)


def _random_forecast(
    rng: np.random.Generator, rows: int, epochs: int, rounds: int
) -> WindowForecast:
    """A window's forecast with random network and booster log sales; the booster's curve is
    its RMSPE at each round, as LightGBM records it."""
    sales = rng.uniform(1_000, 10_000, rows)
    network_log = np.log(sales) + rng.normal(0, 0.2, (epochs, rows))
    booster = np.log(sales) + rng.normal(0, 0.2, (rounds, rows))
    curve = [rmspe(np.exp(log), sales) for log in booster]
    return WindowForecast(sales, network_log, curve, lambda r: booster[r - 1])


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    rows=st.lists(st.integers(5, 40), min_size=1, max_size=3),
    rounds=st.lists(st.integers(1, 8), min_size=3, max_size=3),
)
def test_pooled_choices_are_those_of_the_windows_taken_together(seed, rows, rounds):
    """Choosing on several windows = choosing on one window holding all their rows, over the
    rounds every window reached."""
    rng = np.random.default_rng(seed)
    forecasts = [_random_forecast(rng, n, 4, r) for n, r in zip(rows, rounds, strict=False)]
    reached = min(len(f.booster_curve) for f in forecasts)
    sales = np.concatenate([f.sales for f in forecasts])

    def pooled_log(r: int) -> np.ndarray:
        return np.concatenate([f.booster_log(r) for f in forecasts])

    merged = WindowForecast(
        sales,
        np.concatenate([f.network_log for f in forecasts], axis=1),
        [rmspe(np.exp(pooled_log(r)), sales) for r in range(1, reached + 1)],
        pooled_log,
    )
    for options in [(True, True), (True, False), (False, True)]:
        assert choose(forecasts, *options) == merged.choose(*options)
    if len(forecasts) == 1:
        assert choose(forecasts, True, True) == forecasts[0].choose(True, True)
