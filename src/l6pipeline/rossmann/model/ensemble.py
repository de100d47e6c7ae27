"""The served Rossmann model: entity-embedding networks averaged in log space, optionally blended
with LightGBM.

Averaging in log space is averaging the networks' outputs (each predicts log sales), i.e. a
geometric mean of their sales. Averaging a few networks trained from different seeds is the
cheapest accuracy gain in the Rossmann winners' solutions (and in the entity-embedding paper).

Two numbers are fitted on a tuning window by :func:`fit_blend`: the blend weight on
LightGBM, and optionally a scale on the predicted sales. A model trained on MSE of log sales
predicts a median; RMSPE divides by the true sales, so it rewards predicting lower (for
log-normal errors of variance s2 the optimum is ``exp(-1.5 * s2)`` times the median). The
winners applied such a correction factor (~0.985) by hand; here it is the closed-form RMSPE
optimum ``sum(p / y) / sum((p / y) ** 2)`` on the tuning window (see
:mod:`l6pipeline.rossmann.model.backtest`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import torch

from l6pipeline.core.nn import predict
from l6pipeline.core.params import Parameters, check_choice, check_int
from l6pipeline.rossmann.model.lightgbm import feature_frame
from l6pipeline.rossmann.model.metrics import rmspe
from l6pipeline.rossmann.model.network import TabularModel
from l6pipeline.rossmann.model.processors import TabularArrays


@dataclass(frozen=True)
class EnsembleConfig(Parameters, what="ensemble"):
    """How many networks (seeds ``seed, seed + 1, ...``), and what is fitted on validation."""

    members: int = 1
    blend_lightgbm: bool = True
    calibrate: bool = True

    def __post_init__(self) -> None:
        check_int("members", self.members, minimum=1)
        check_choice("blend_lightgbm", self.blend_lightgbm, (True, False))
        check_choice("calibrate", self.calibrate, (True, False))


def network_log_sales(
    network: TabularModel, arrays: TabularArrays, device: str = "auto"
) -> np.ndarray:
    """One network's log-sales predictions, float64 ``[n]`` (the network is left on the CPU)."""
    inputs = (torch.from_numpy(arrays.cats), torch.from_numpy(arrays.conts))
    log_pred = predict(network, inputs, device=device)
    network.cpu()
    return log_pred.double().numpy().reshape(-1)


@dataclass
class SalesEnsemble:
    """``networks`` averaged in log space; ``booster`` (LightGBM) blended in with ``blend_weight``.

    ``log_sales = (1 - w) * mean(network log predictions) + w * booster log prediction``.
    ``feature_names`` are the processor's ``(categorical, continuous)`` names, which LightGBM's
    feature frame needs.
    """

    networks: list[TabularModel]
    booster: lgb.Booster | None = None
    blend_weight: float = 0.0
    feature_names: tuple[Sequence[str], Sequence[str]] = field(default_factory=lambda: ((), ()))
    scale: float = 1.0  # multiplies the predicted sales (the RMSPE correction factor)
    trained_until: str | None = None  # the last labelled date the model was fitted on

    def __post_init__(self) -> None:
        if not self.networks:
            raise ValueError("an ensemble needs at least one network")
        if not 0.0 <= self.blend_weight <= 1.0:
            raise ValueError(f"blend_weight must be in [0, 1], got {self.blend_weight}")
        if self.blend_weight > 0 and self.booster is None:
            raise ValueError("a blend weight on LightGBM needs a booster")
        if not self.scale > 0:
            raise ValueError(f"scale must be positive, got {self.scale}")

    def network_log_sales(self, arrays: TabularArrays, device: str = "auto") -> np.ndarray:
        """The mean of the networks' log-sales predictions."""
        return np.mean([network_log_sales(net, arrays, device) for net in self.networks], axis=0)

    def booster_log_sales(self, arrays: TabularArrays) -> np.ndarray:
        if self.booster is None:
            raise ValueError("this ensemble has no LightGBM booster")
        return self.booster.predict(feature_frame(arrays, *self.feature_names))

    def predict_log(self, arrays: TabularArrays, device: str = "auto") -> np.ndarray:
        """Blended log-sales predictions, float64 ``[n]``."""
        log_pred = self.network_log_sales(arrays, device)
        if self.blend_weight > 0:
            w = self.blend_weight
            log_pred = (1 - w) * log_pred + w * self.booster_log_sales(arrays)
        return log_pred + np.log(self.scale)

    def predict(self, arrays: TabularArrays, device: str = "auto") -> np.ndarray:
        """Predicted sales, float64 ``[n]``."""
        return np.exp(self.predict_log(arrays, device))


def rmspe_scale(predicted: np.ndarray, sales: np.ndarray) -> float:
    """The factor ``s`` minimizing ``RMSPE(s * predicted, sales)``: ``sum(r) / sum(r ** 2)``
    with ``r = predicted / sales`` (rows with zero sales ignored, as in the metric)."""
    keep = sales != 0
    ratio = predicted[keep] / sales[keep]
    return float(ratio.sum() / (ratio**2).sum())


@dataclass(frozen=True)
class Blend:
    """Fitted blend: weight on LightGBM, sales scale, and the validation RMSPE they give."""

    weight: float
    scale: float
    rmspe: float


def fit_blend(
    network_log: np.ndarray,
    booster_log: np.ndarray | None,
    sales: np.ndarray,
    calibrate: bool,
    step: float = 0.05,
) -> Blend:
    """The weight on LightGBM (a grid of ``step``; 0 without a booster) and, with ``calibrate``,
    the RMSPE-optimal scale for that weight, minimizing the RMSPE on ``sales``.

    A coarse grid on purpose: the weight is fitted on the validation split, and a finer one
    would only fit its noise. Ties keep the smaller weight (more network).
    """
    weights = [0.0] if booster_log is None else np.round(np.arange(0, 1 + step / 2, step), 10)
    best = None
    for weight in weights:
        log_pred = network_log if weight == 0 else (1 - weight) * network_log + weight * booster_log
        predicted = np.exp(log_pred)
        scale = rmspe_scale(predicted, sales) if calibrate else 1.0
        candidate = Blend(float(weight), scale, rmspe(scale * predicted, sales))
        if best is None or candidate.rmspe < best.rmspe:
            best = candidate
    return best
