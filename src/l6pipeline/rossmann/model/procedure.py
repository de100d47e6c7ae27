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
from l6pipeline.rossmann.model.lightgbm import LightGBMConfig, train_booster
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


def _processed(
    rows: pd.DataFrame, window_rows: pd.DataFrame | None, procedure: Procedure
) -> tuple[TabularProcessor, tuple, tuple | None]:
    """The processors fitted on ``rows`` alone, and (arrays, sales) of the rows and the window."""
    processor = TabularProcessor.fit(rows, procedure.cat_vars, procedure.cont_vars)
    train = (processor.transform(rows), rows["Sales"].to_numpy(np.float64))
    window = None
    if window_rows is not None:
        window = (processor.transform(window_rows), window_rows["Sales"].to_numpy(np.float64))
    return processor, train, window


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
    processor, train, window = _processed(rows, window_rows, procedure)
    seconds = {"processors": time.perf_counter() - clock}
    rounds = 0 if keep is None else keep.rounds
    wanted = procedure.ensemble.blend_lightgbm and (window is not None or rounds > 0)
    names = (processor.cat_names, processor.cont_vars)
    boost = functools.partial(train_booster, names, train, window, procedure.lightgbm, rounds)
    stop_after = keep.epoch if window is None else None
    with ThreadPoolExecutor(max_workers=1) as beside:
        # LightGBM in a second thread while the networks train: both C++ libraries release the
        # GIL, so with one core each (their num_threads) the two cores work at once.
        boosting = beside.submit(boost) if wanted and procedure.lightgbm.beside_networks else None
        clock = time.perf_counter()
        networks, history, states, network_log = _train_networks(
            processor, train, window, procedure, label, stop_after, keep_states, on_epoch_end
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
    trained_until = pd.Timestamp(rows["Date"].max())
    return PrefixFit(
        processor, networks, booster, forecast, trained_until, history, curve, states, seconds
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


def prefix_label(window: Window) -> str:
    """The name of the prefix before ``window`` (its fit's child run, its curves' ``prefix``)."""
    return f"before_{window.name}"


@dataclass
class _Records:
    """What the backtest gathers window by window, in the shape of :class:`BacktestResult`."""

    folds: dict[str, dict[str, float]] = field(default_factory=dict)
    tuning: dict[str, dict[str, float]] = field(default_factory=dict)
    choices: dict[str, Choices] = field(default_factory=dict)
    seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    predictions: list[pd.DataFrame] = field(default_factory=list)
    histories: list[pd.DataFrame] = field(default_factory=list)
    curves: list[pd.DataFrame] = field(default_factory=list)

    def add_backtest(
        self, window: Window, in_window: pd.DataFrame, fit: PrefixFit, choices: Choices
    ) -> None:
        """The window's backtest figures and predictions under the choices made before it."""
        metrics, predicted = fold_metrics(fit.forecast, choices, window)
        self.folds[window.name] = metrics
        self.choices[window.name] = choices
        self.predictions.append(
            in_window[["Date", "Store", "Sales"]].assign(Predicted=predicted, Window=window.name)
        )
        logger.info(
            "backtest %s: RMSPE %.4f (%s)",
            window.name,
            metrics["rmspe"],
            ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if k.endswith("_rmspe")),
        )

    def add_tuning(self, window: Window, fit: PrefixFit, choices: Choices, alone: Choices) -> None:
        """The window's figures under the choices made on it (pooled with the earlier
        windows, and on it alone), and the fit's seconds and curves."""
        self.tuning[window.name] = {
            "rmspe": rmspe(np.exp(fit.forecast.predict_log(choices)), fit.forecast.sales),
            **choices.as_dict(),
            **{f"alone_{name}": value for name, value in alone.as_dict().items()},
        }
        label = prefix_label(window)
        self.seconds[label] = fit.seconds
        self.histories.append(pd.DataFrame(fit.history))
        rounds = len(fit.booster_curve)
        self.curves.append(
            pd.DataFrame(
                {
                    "prefix": label,
                    "round": np.arange(1, rounds + 1),
                    "rmspe": fit.booster_curve,
                    "seconds": fit.seconds.get("lightgbm", 0.0) / max(rounds, 1),
                }
            )
        )

    def result(
        self, windows: list[Window], choices: Choices, last_fit: PrefixFit
    ) -> BacktestResult:
        """The backtest's result, the last prefix's choices and fit with it."""
        return BacktestResult(
            windows,
            self.folds,
            self.tuning,
            self.choices,
            choices,
            pd.concat(self.predictions, ignore_index=True),
            pd.concat(self.histories, ignore_index=True),
            pd.concat(self.curves, ignore_index=True),
            last_fit,
            self.seconds,
        )


def _fit_before(
    rows: pd.DataFrame,
    window: Window,
    procedure: Procedure,
    choices: Choices | None,
    keep_states: bool,
    track: Tracker | None,
    on_epoch_end: EpochHook | None,
) -> tuple[PrefixFit, pd.DataFrame]:
    """The procedure fitted on the rows before ``window`` (in a ``track`` context), with its
    forecast of the window; and the window's rows."""
    dates = rows["Date"]
    label = prefix_label(window)
    train_rows = rows.loc[(dates < window.start).to_numpy()]
    in_window = rows.loc[window.mask(dates)]
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
            in_window,
            procedure,
            keep=choices,
            label=label,
            keep_states=keep_states,
            on_epoch_end=on_epoch_end,
        )
    return fit, in_window


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
    options = (procedure.ensemble.blend_lightgbm, procedure.ensemble.calibrate)
    choices: Choices | None = None
    tuned: list[WindowForecast] = []  # every window's forecast so far, pooled for the choices
    records = _Records()
    fit = None
    for i, window in enumerate(windows):
        keep_states = keep_last_states and i == len(windows) - 1
        fit, in_window = _fit_before(
            rows, window, procedure, choices, keep_states, track, on_epoch_end
        )
        if choices is not None:
            records.add_backtest(window, in_window, fit, choices)
        tuned.append(fit.forecast)
        choices = choose(tuned, *options)
        alone = fit.forecast.choose(*options)  # this window's own choices, for their spread
        records.add_tuning(window, fit, choices, alone)
        logger.info(
            "choices made on %s: %s (on %s alone: %s)",
            "+".join(w.name for w in windows[: i + 1]),
            choices,
            window.name,
            alone,
        )
    return records.result(windows, choices, fit)


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
