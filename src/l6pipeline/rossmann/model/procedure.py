"""The whole modelling procedure (processors, networks, LightGBM, blend) run on one prefix of
the data, the rolling-origin backtest over prefixes, and the refit on every labelled row.

See :mod:`l6pipeline.rossmann.model.backtest` for the roles of the windows. Everything here is plain
Python over pandas frames: the Kedro nodes only pass parameters in and results out, and give
the MLflow hooks (``track`` opens a child run per prefix, ``on_epoch_end`` logs an epoch).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace

import lightgbm as lgb
import numpy as np
import pandas as pd

from l6pipeline.core.nn import EpochResult, TrainConfig
from l6pipeline.rossmann.model.backtest import (
    Choices,
    Window,
    WindowForecast,
    choose,
    fold_metrics,
    rolling_windows,
    summarize_folds,
)
from l6pipeline.rossmann.model.ensemble import EnsembleConfig, SalesEnsemble
from l6pipeline.rossmann.model.lightgbm import LightGBMConfig, feature_frame, train_lightgbm
from l6pipeline.rossmann.model.metrics import rmspe
from l6pipeline.rossmann.model.network import TabularModel
from l6pipeline.rossmann.model.processors import TabularArrays, TabularProcessor
from l6pipeline.rossmann.model.train import ModelConfig, member_seeds, train_entity_model

logger = logging.getLogger(__name__)

EpochHook = Callable[[str, int, EpochResult], None]
Tracker = Callable[[str, dict], AbstractContextManager]


@dataclass(frozen=True)
class Procedure:
    """Everything the procedure needs besides the data: variables and the four configs."""

    cat_vars: Sequence[str]
    cont_vars: Sequence[str]
    model: ModelConfig
    train: TrainConfig
    ensemble: EnsembleConfig
    lightgbm: LightGBMConfig

    def __post_init__(self) -> None:
        if not isinstance(self.train.lr, int | float):
            raise ValueError(f"lr must be a number here, got {self.train.lr!r}: resolve 'auto'")


@dataclass
class PrefixFit:
    """One prefix's fitted processor, networks and booster, and its forecast of the next window."""

    processor: TabularProcessor
    networks: list[TabularModel]
    booster: lgb.Booster | None
    forecast: WindowForecast | None
    trained_until: pd.Timestamp
    history: list[dict] = field(default_factory=list)
    booster_curve: list[float] = field(default_factory=list)
    epoch_states: list[list[dict]] = field(default_factory=list)  # [member][epoch], if kept
    # Wall seconds of the fit's parts: processors (fit + transform), networks, lightgbm.
    seconds: dict[str, float] = field(default_factory=dict)

    def ensemble(self, choices: Choices) -> SalesEnsemble:
        """The model these fits make under ``choices``: the networks at ``choices.epoch`` (when
        their states were kept), LightGBM at ``choices.rounds``, the blend weight, the scale."""
        for network, states in zip(self.networks, self.epoch_states, strict=False):
            network.load_state_dict(states[choices.epoch])
        booster = self.booster if choices.blend_weight > 0 else None
        if booster is not None:
            booster.best_iteration = choices.rounds  # what predict() uses
        return SalesEnsemble(
            self.networks,
            booster,
            choices.blend_weight,
            (self.processor.cat_names, self.processor.cont_vars),
            choices.scale,
            trained_until=str(self.trained_until.date()),
        )


def _train_networks(
    processor: TabularProcessor,
    train: tuple[TabularArrays, np.ndarray],
    window: tuple[TabularArrays, np.ndarray] | None,
    procedure: Procedure,
    label: str,
    stop_after: int | None,
    keep_states: bool,
    on_epoch_end: EpochHook | None,
) -> tuple[list[TabularModel], list[dict], list[list[dict]], np.ndarray | None]:
    """The ensemble's networks (seeds ``seed, seed + 1, ...``): the models, their curve rows,
    their per-epoch states (if kept) and the members' mean log sales on ``window`` per epoch."""
    networks, rows, states, logs = [], [], [], []
    for member, seed in enumerate(member_seeds(procedure.train.seed, procedure.ensemble.members)):
        config = replace(procedure.train, seed=seed, monitor=None, patience=None)
        clock = [time.perf_counter()]

        def end_of_epoch(result: EpochResult, member: int = member, clock: list = clock) -> None:
            now = time.perf_counter()
            rows.append(
                {"prefix": label, "member": member, "epoch": result.epoch, **result.as_dict()}
                | {"seconds": now - clock[0]}
            )
            clock[0] = now
            if on_epoch_end is not None:
                on_epoch_end(label, member, result)

        model, history = train_entity_model(
            processor, train, window, procedure.model, config, end_of_epoch, stop_after, keep_states
        )
        networks.append(model)
        if keep_states:
            states.append([result.state for result in history])
        if window is not None:
            logs.append(np.stack([r.predictions.double().numpy().ravel() for r in history]))
    return networks, rows, states, (np.mean(logs, axis=0) if logs else None)


def _train_booster(
    processor: TabularProcessor,
    train: tuple[TabularArrays, np.ndarray],
    window: tuple[TabularArrays, np.ndarray] | None,
    config: LightGBMConfig,
    min_rounds: int,
) -> tuple[lgb.Booster, list[float], Callable[[int], np.ndarray] | None, float]:
    """LightGBM on the same arrays: early-stopped on ``window`` (never before ``min_rounds``)
    with its per-round RMSPE there; without a window, exactly ``min_rounds`` rounds."""
    names = (processor.cat_names, processor.cont_vars)
    frame = feature_frame(train[0], *names)
    window_frame = None if window is None else feature_frame(window[0], *names)
    curve: list[float] = []
    start = time.perf_counter()
    booster = train_lightgbm(
        (frame, train[1]),
        config.categorical_among(processor.cat_names),
        num_boost_round=min_rounds if window is None else config.num_boost_round,
        params=config.lgb_params,
        seed=config.seed,
        valid=None if window is None else (window_frame, window[1]),
        early_stopping_rounds=config.early_stopping_rounds or config.num_boost_round,
        curve=curve,
        min_rounds=min_rounds,
    )
    seconds = time.perf_counter() - start
    if window is None:
        return booster, curve, None, seconds

    @functools.lru_cache(maxsize=4)  # the choices and the figures ask for the same rounds
    def log_sales_at(rounds: int) -> np.ndarray:
        return booster.predict(window_frame, num_iteration=rounds)

    return booster, curve, log_sales_at, seconds


def fit_prefix(
    rows: pd.DataFrame,
    window_rows: pd.DataFrame | None,
    procedure: Procedure,
    keep: Choices | None = None,
    label: str = "prefix",
    keep_states: bool = False,
    on_epoch_end: EpochHook | None = None,
) -> PrefixFit:
    """The procedure on ``rows``: processors fitted on them alone, the networks and LightGBM.

    With ``window_rows`` (the labelled window after the prefix), every epoch's and every
    round's predictions there are kept in the :class:`WindowForecast`; LightGBM trains at
    least ``keep.rounds``. Without it (the refit), the networks stop after ``keep.epoch`` of
    the same schedule and LightGBM trains ``keep.rounds`` rounds (none when 0).
    """
    if window_rows is None and keep is None:
        raise ValueError("a refit needs the choices made on a tuning window")
    clock = time.perf_counter()
    processor = TabularProcessor.fit(rows, procedure.cat_vars, procedure.cont_vars)
    train = (processor.transform(rows), rows["Sales"].to_numpy(np.float64))
    window = None
    if window_rows is not None:
        window = (processor.transform(window_rows), window_rows["Sales"].to_numpy(np.float64))
    seconds = {"processors": time.perf_counter() - clock}
    rounds = 0 if keep is None else keep.rounds
    wanted = procedure.ensemble.blend_lightgbm and (window is not None or rounds > 0)
    boost = functools.partial(_train_booster, processor, train, window, procedure.lightgbm, rounds)
    with ThreadPoolExecutor(max_workers=1) as beside:
        # LightGBM in a second thread while the networks train: both C++ libraries release the
        # GIL, so with one core each (their num_threads) the two cores work at once.
        boosting = beside.submit(boost) if wanted and procedure.lightgbm.beside_networks else None
        clock = time.perf_counter()
        networks, history, states, network_log = _train_networks(
            processor,
            train,
            window,
            procedure,
            label,
            keep.epoch if window is None else None,
            keep_states,
            on_epoch_end,
        )
        seconds["networks"] = time.perf_counter() - clock
        booster, curve, booster_log = None, [], None
        if wanted:
            booster, curve, booster_log, seconds["lightgbm"] = (
                boosting.result() if boosting else boost()
            )
    forecast = None
    if window is not None:
        forecast = WindowForecast(window[1], network_log, curve, booster_log)
    return PrefixFit(
        processor,
        networks,
        booster,
        forecast,
        pd.Timestamp(rows["Date"].max()),
        history,
        curve,
        states,
        seconds,
    )


@dataclass
class BacktestResult:
    """The backtest's figures, predictions and curves, the final choices, and the model."""

    windows: list[Window]
    folds: dict[str, dict[str, float]]  # backtest figures per window no choice saw
    tuning: dict[str, dict[str, float]]  # figures on the windows the choices were made on
    choices: dict[str, Choices]  # per window: the choices it was predicted with
    final_choices: Choices
    predictions: pd.DataFrame  # Date, Store, Sales, Predicted, Window (backtest windows only)
    history: pd.DataFrame  # per prefix, member and epoch
    booster_curves: pd.DataFrame  # per prefix and round
    last_fit: PrefixFit  # the prefix before W1 (today's model without a refit)
    seconds: dict[str, dict[str, float]]  # per prefix: PrefixFit.seconds

    @property
    def mean(self) -> dict[str, float]:
        return summarize_folds(self.folds)


def run_backtest(
    rows: pd.DataFrame,
    procedure: Procedure,
    window_rows: int,
    folds: int,
    keep_last_states: bool = False,
    track: Tracker | None = None,
    on_epoch_end: EpochHook | None = None,
) -> BacktestResult:
    """``folds`` backtest windows (and one tuning window before them) cut from the end of
    ``rows``; the procedure fitted on each prefix, oldest first (see the module docstring)."""
    windows = rolling_windows(rows["Date"], window_rows, folds + 1)
    dates = rows["Date"]
    choices: Choices | None = None
    tuned: list[WindowForecast] = []  # every window's forecast so far, pooled for the choices
    results: dict[str, dict] = {"folds": {}, "tuning": {}, "choices": {}, "seconds": {}}
    predictions, histories, curves = [], [], []
    fit = None
    for i, window in enumerate(windows):
        last = i == len(windows) - 1
        label = f"before_{window.name}"
        in_window = window.mask(dates)
        train_rows = rows.loc[(dates < window.start).to_numpy()]
        window_rows_ = rows.loc[in_window]
        logger.info(
            "prefix %s: %d rows to %s; window %s %s..%s (%d rows)",
            label,
            len(train_rows),
            train_rows["Date"].max().date(),
            window.name,
            window.start.date(),
            window.end.date(),
            window.rows,
        )
        context = track(label, {"window": window.name}) if track else contextlib.nullcontext()
        with context:
            fit = fit_prefix(
                train_rows,
                window_rows_,
                procedure,
                keep=choices,
                label=label,
                keep_states=last and keep_last_states,
                on_epoch_end=on_epoch_end,
            )
        if choices is not None:
            metrics, predicted = fold_metrics(fit.forecast, choices, window)
            results["folds"][window.name] = metrics
            results["choices"][window.name] = choices
            predictions.append(
                window_rows_[["Date", "Store", "Sales"]].assign(
                    Predicted=predicted, Window=window.name
                )
            )
            logger.info(
                "backtest %s: RMSPE %.4f (%s)",
                window.name,
                metrics["rmspe"],
                ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if k.endswith("_rmspe")),
            )
        tuned.append(fit.forecast)
        options = (procedure.ensemble.blend_lightgbm, procedure.ensemble.calibrate)
        choices = choose(tuned, *options)
        alone = fit.forecast.choose(*options)  # this window's own choices, for their spread
        results["tuning"][window.name] = {
            "rmspe": rmspe(np.exp(fit.forecast.predict_log(choices)), fit.forecast.sales),
            **choices.as_dict(),
            **{f"alone_{name}": value for name, value in alone.as_dict().items()},
        }
        results["seconds"][label] = fit.seconds
        histories.append(pd.DataFrame(fit.history))
        curves.append(
            pd.DataFrame(
                {
                    "prefix": label,
                    "round": np.arange(1, len(fit.booster_curve) + 1),
                    "rmspe": fit.booster_curve,
                    "seconds": fit.seconds.get("lightgbm", 0.0) / max(len(fit.booster_curve), 1),
                }
            )
        )
        logger.info(
            "choices made on %s: %s (on %s alone: %s)",
            "+".join(w.name for w in windows[: i + 1]),
            choices,
            window.name,
            alone,
        )
    return BacktestResult(
        windows,
        results["folds"],
        results["tuning"],
        results["choices"],
        choices,
        pd.concat(predictions, ignore_index=True),
        pd.concat(histories, ignore_index=True),
        pd.concat(curves, ignore_index=True),
        fit,
        results["seconds"],
    )


def final_model(
    rows: pd.DataFrame,
    procedure: Procedure,
    backtest: BacktestResult,
    refit: bool,
    on_epoch_end: EpochHook | None = None,
) -> tuple[SalesEnsemble, PrefixFit]:
    """The served model and the fit it comes from: with ``refit``, the procedure refitted on
    every labelled row with the choices made on the tuning windows; without, the last prefix's
    model under those choices (its epoch states must have been kept)."""
    choices = backtest.final_choices
    if not refit:
        fit = backtest.last_fit
        if not fit.epoch_states:
            raise ValueError("without a refit, run_backtest(keep_last_states=True) is needed")
        return fit.ensemble(choices), fit
    fit = fit_prefix(rows, None, procedure, keep=choices, label="refit", on_epoch_end=on_epoch_end)
    logger.info(
        "refit on %d rows to %s: epoch %d, %d LightGBM rounds, weight %.2f, scale %.3f",
        len(rows),
        fit.trained_until.date(),
        choices.epoch + 1,
        choices.rounds,
        choices.blend_weight,
        choices.scale,
    )
    return fit.ensemble(choices), fit
