"""Rolling-origin backtest: choices made on a tuning window, figures measured on a later one.

The labelled rows are cut, from the end, into windows of about ``window_rows`` rows of whole
dates: ``W1`` (the latest), ``W2`` before it, ... A *prefix* is every labelled row before one
window; training on it serves two roles for the window right after it:

- **tuning**: its predictions there (every epoch, every LightGBM round) choose the epoch, the
  rounds, the blend weight and the scale (:class:`Choices`) for the *next* origin;
- **backtest**: with the choices made one window earlier (by the previous prefix), its
  predictions there are exactly what the procedure would have submitted at that origin.

So with ``folds`` backtest windows there are ``folds + 1`` prefixes, and the headline is the
RMSPE over windows that no choice saw. The final model is the same procedure at the end of the
data: the last prefix's choices (tuned on ``W1``), refitted on every labelled row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from l6pipeline.core.params import ParameterError, Parameters, check_int
from l6pipeline.rossmann.model.ensemble import fit_blend
from l6pipeline.rossmann.model.metrics import rmspe
from l6pipeline.rossmann.model.split import time_split_mask


@dataclass(frozen=True)
class SplitConfig(Parameters, what="split"):
    """``rossmann_model.split``: rows per window (``None``: as many as the test set, the
    lesson's rule) and how many backtest windows (each one more training of the procedure)."""

    window_rows: int | None = None
    backtest_folds: int = 2

    def __post_init__(self) -> None:
        check_int("window_rows", self.window_rows, minimum=1, optional=True)
        check_int("backtest_folds", self.backtest_folds, minimum=1)


@dataclass(frozen=True)
class Window:
    """A labelled window ``[start, end]`` (whole dates) and its place: ``W1`` is the latest."""

    name: str
    start: pd.Timestamp
    end: pd.Timestamp
    rows: int

    def mask(self, dates: pd.Series) -> np.ndarray:
        return ((dates >= self.start) & (dates <= self.end)).to_numpy()

    def as_dict(self) -> dict[str, str | int]:
        """The window as the reports write it: name, first and last day, rows."""
        start, end = str(self.start.date()), str(self.end.date())
        return {"name": self.name, "start": start, "end": end, "rows": self.rows}


def rolling_windows(dates: pd.Series, window_rows: int, count: int) -> list[Window]:
    """``count`` consecutive windows of about ``window_rows`` rows each (the lesson's rule for
    one validation window, applied again to the rows before it), oldest first."""
    dates = pd.to_datetime(pd.Series(dates)).reset_index(drop=True)
    windows: list[Window] = []
    remaining = dates
    for i in range(1, count + 1):
        try:
            mask = time_split_mask(remaining, window_rows)
        except ValueError:  # the window would take every remaining row
            mask = None
        if mask is None:
            raise ParameterError(
                ["split.window_rows", "split.backtest_folds"],
                f"{len(dates)} labelled rows cannot hold {count} windows of {window_rows} rows "
                "and rows before them to train on: lower backtest_folds or window_rows",
                block="rossmann_model",
            )
        window = remaining[mask]
        windows.append(Window(f"W{i}", window.min(), window.max(), int(mask.sum())))
        remaining = remaining[~mask]
    return windows[::-1]


@dataclass(frozen=True)
class Choices:
    """What the procedure fixes on a tuning window before it predicts the next one.

    ``epoch`` is the 0-based epoch of the one-cycle schedule whose weights are kept,
    ``rounds`` the LightGBM rounds (0: no LightGBM), ``blend_weight`` the weight on LightGBM
    in log space, ``scale`` the factor on the predicted sales.
    """

    epoch: int
    rounds: int
    blend_weight: float
    scale: float

    def as_dict(self) -> dict[str, float]:
        return {name: float(value) for name, value in asdict(self).items()}


@dataclass
class WindowForecast:
    """A prefix's predictions on the window after it: the networks' mean log sales after each
    epoch (``[epochs, n]``), LightGBM's RMSPE after each round and its log sales at any round."""

    sales: np.ndarray
    network_log: np.ndarray
    booster_curve: Sequence[float] = ()
    booster_log: Callable[[int], np.ndarray] | None = None

    def choose(self, blend_lightgbm: bool, calibrate: bool) -> Choices:
        """The choices made on this window alone (:func:`choose` on one window)."""
        return choose([self], blend_lightgbm, calibrate)

    def predict_log(self, choices: Choices) -> np.ndarray:
        """Log sales predicted here with ``choices`` made elsewhere."""
        epoch = min(choices.epoch, len(self.network_log) - 1)
        log_pred = self.network_log[epoch]
        if choices.blend_weight > 0:
            if self.booster_log is None:
                raise ValueError("the choices blend LightGBM, but this prefix trained none")
            w = choices.blend_weight
            log_pred = (1 - w) * log_pred + w * self.booster_log(choices.rounds)
        return log_pred + np.log(choices.scale)

    def part_rmspe(self, choices: Choices) -> dict[str, float]:
        """RMSPE of the parts under ``choices``: the networks alone (their kept epoch, no
        scale) and LightGBM alone (its chosen rounds, when it has any)."""
        epoch = min(choices.epoch, len(self.network_log) - 1)
        parts = {"networks": rmspe(np.exp(self.network_log[epoch]), self.sales)}
        if self.booster_log is not None and choices.rounds > 0:
            parts["lightgbm"] = rmspe(np.exp(self.booster_log(choices.rounds)), self.sales)
        return parts


def pooled_rounds(forecasts: Sequence[WindowForecast]) -> int:
    """The LightGBM rounds with the lowest RMSPE over the windows taken together (rows
    weighted alike), among the rounds every window's curve reaches."""
    reached = min(len(f.booster_curve) for f in forecasts)
    squared = sum(len(f.sales) * np.asarray(f.booster_curve[:reached]) ** 2 for f in forecasts)
    return int(np.argmin(squared)) + 1


def choose(forecasts: Sequence[WindowForecast], blend_lightgbm: bool, calibrate: bool) -> Choices:
    """The epoch and rounds with the lowest RMSPE over the tuning ``forecasts`` pooled (their
    rows taken together), then the blend weight and scale
    (:func:`~l6pipeline.rossmann.model.ensemble.fit_blend`) for them on the same rows.

    Pooling every tuning window before the predicted one, not the latest alone, keeps one odd
    window (a holiday, the stores reopening after a refurbishment) from swinging the weight.
    """
    sales = np.concatenate([f.sales for f in forecasts])
    network_log = np.concatenate([f.network_log for f in forecasts], axis=1)
    epoch = int(np.argmin([rmspe(np.exp(log), sales) for log in network_log]))
    rounds, booster_log = 0, None
    boosted = all(f.booster_log is not None and len(f.booster_curve) for f in forecasts)
    if blend_lightgbm and boosted:
        rounds = pooled_rounds(forecasts)
        booster_log = np.concatenate([f.booster_log(rounds) for f in forecasts])
    blend = fit_blend(network_log[epoch], booster_log, sales, calibrate)
    return Choices(epoch, rounds if blend.weight > 0 else 0, blend.weight, blend.scale)


def fold_metrics(
    forecast: WindowForecast, choices: Choices, window: Window
) -> tuple[dict[str, float], np.ndarray]:
    """The backtest figures of one window, and its predicted sales."""
    predicted = np.exp(forecast.predict_log(choices))
    metrics = {
        "rmspe": rmspe(predicted, forecast.sales),
        **{f"{part}_rmspe": value for part, value in forecast.part_rmspe(choices).items()},
        "rows": float(window.rows),
    }
    return metrics, predicted


def summarize_folds(folds: dict[str, dict[str, float]]) -> dict[str, float]:
    """The mean over folds of each figure (the headline is the mean backtest RMSPE)."""
    names = sorted({name for fold in folds.values() for name in fold if name != "rows"})
    return {
        name: float(np.mean([fold[name] for fold in folds.values() if name in fold]))
        for name in names
    }
