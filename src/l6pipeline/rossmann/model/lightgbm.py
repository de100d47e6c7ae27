"""A gradient-boosting contender (LightGBM) on the network's processed features and split.

The number of rounds is chosen by early stopping on the validation split's exact RMSPE, the
same figure the network is judged (and checkpointed) on, so the comparison is like for like.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd

from l6pipeline.core.params import ParameterError, Parameters, check_choice, check_int
from l6pipeline.rossmann.model.metrics import log_sales
from l6pipeline.rossmann.model.processors import TabularArrays

DEFAULT_PARAMS = {
    "objective": "regression",  # L2 on log sales, the network's loss
    "learning_rate": 0.1,
    "num_leaves": 63,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "max_bin": 255,
    "verbose": -1,
}


@dataclass(frozen=True)
class LightGBMConfig(Parameters, what="LightGBM"):
    """Rounds (at most), early stopping, seed, which variables are unordered categories, and
    LightGBM's own parameters (``lgb_params``, passed through: LightGBM checks those itself).

    ``categorical`` names the variables LightGBM splits as unordered sets (a store, a state);
    every other category code is split as an ordered number, which Categorify's codes are
    (sorted values): a year, a week or a day count keeps its order. ``None``: all of them,
    which on the real data lets LightGBM fit weeks and days as unrelated labels.
    """

    num_boost_round: int = 500
    early_stopping_rounds: int | None = None
    seed: int = 42
    categorical: tuple[str, ...] | None = None
    lgb_params: Mapping = field(default_factory=dict)
    # Train in a second thread while the networks train (give each one core: lgb_params
    # num_threads 1 and the networks' num_threads 1).
    beside_networks: bool = False

    def __post_init__(self) -> None:
        check_int("num_boost_round", self.num_boost_round, minimum=1)
        check_choice("beside_networks", self.beside_networks, (True, False))
        check_int("early_stopping_rounds", self.early_stopping_rounds, minimum=1, optional=True)
        check_int("seed", self.seed, minimum=0)
        if self.categorical is not None:
            if isinstance(self.categorical, str) or not all(
                isinstance(name, str) for name in self.categorical
            ):
                raise ParameterError(
                    "categorical", "must be a list of variable names (or null)", self.categorical
                )
            object.__setattr__(self, "categorical", tuple(self.categorical))
        if not isinstance(self.lgb_params, Mapping):
            raise ParameterError(
                "lgb_params", "must be a mapping of LightGBM parameters", self.lgb_params
            )

    def categorical_among(self, cat_names: Sequence[str]) -> list[str]:
        """The category columns of ``cat_names`` that LightGBM treats as unordered."""
        if self.categorical is None:
            return list(cat_names)
        unknown = sorted(set(self.categorical) - set(cat_names))
        if unknown:
            raise ParameterError(
                "categorical",
                f"names variables that are not categorical inputs of the model: {unknown}",
                list(self.categorical),
            )
        return [name for name in cat_names if name in self.categorical]


def feature_frame(arrays: TabularArrays, cat_names: Sequence[str], cont_names: Sequence[str]):
    """The processed arrays as one frame: category codes (categorical) then continuous values."""
    frame = pd.DataFrame(arrays.cats, columns=list(cat_names))
    for j, name in enumerate(cont_names):
        frame[name] = arrays.conts[:, j]
    return frame


def _rmspe_of_logs(log_pred: np.ndarray, data: lgb.Dataset) -> tuple[str, float, bool]:
    """LightGBM ``feval``: exact RMSPE of ``exp`` of the predictions (lower is better)."""
    sales = np.exp(data.get_label())
    return "rmspe", float(np.sqrt(np.mean(((sales - np.exp(log_pred)) / sales) ** 2))), False


def train_lightgbm(
    train: tuple[pd.DataFrame, np.ndarray],
    cat_names: Sequence[str],
    num_boost_round: int = 500,
    params: Mapping | None = None,
    seed: int = 42,
    valid: tuple[pd.DataFrame, np.ndarray] | None = None,
    early_stopping_rounds: int | None = None,
    curve: list[float] | None = None,
    min_rounds: int = 0,
) -> lgb.Booster:
    """Fit LightGBM on log sales; the category codes are declared categorical.

    With ``valid`` and ``early_stopping_rounds``, boosting stops once the validation RMSPE has
    not improved for that many rounds (but not before ``min_rounds``: a backtest needs the
    booster at the rounds chosen earlier), and the booster keeps its best iteration
    (``booster.best_iteration``), which ``predict`` then uses. ``curve``, if given, receives
    the validation RMSPE after every round (as LightGBM's own ``record_evaluation`` does).
    """
    features, sales = train
    config = {**DEFAULT_PARAMS, **(params or {}), "seed": seed, "deterministic": True}
    dataset = lgb.Dataset(
        features, label=log_sales(sales), categorical_feature=list(cat_names), free_raw_data=False
    )
    if valid is None or early_stopping_rounds is None:
        return lgb.train(config, dataset, num_boost_round=num_boost_round)
    valid_set = dataset.create_valid(valid[0], label=log_sales(valid[1]))
    recorded: dict = {}
    booster = lgb.train(
        {**config, "metric": "None"},
        dataset,
        num_boost_round=num_boost_round,
        valid_sets=[valid_set],
        valid_names=["valid"],
        feval=_rmspe_of_logs,
        # Keep every tree: by default LightGBM cuts the booster back to its best iteration,
        # which would let the validation labels decide what predicts at other rounds.
        keep_training_booster=True,
        callbacks=[
            lgb.record_evaluation(recorded),
            _EarlyStopping(early_stopping_rounds, min_rounds),
        ],
    )
    if curve is not None:
        curve.extend(recorded["valid"]["rmspe"])
    # Every tree, without the binned training data a trainable booster holds (a backtest keeps
    # each prefix's booster until the end, for choices pooled over the windows).
    best = booster.best_iteration
    booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=-1))
    booster.best_iteration = best
    return booster


class _EarlyStopping:
    """LightGBM's ``early_stopping`` on the one validation metric, never before ``min_rounds``.

    As LightGBM's own callback, it also ends the last round by keeping the best iteration.
    """

    order = 30  # LightGBM's callback order: after record_evaluation (20)

    def __init__(self, patience: int, min_rounds: int = 0) -> None:
        self.patience, self.min_rounds = patience, min_rounds
        self.best_score, self.best_iteration, self.best_results = np.inf, -1, []

    def __call__(self, env: lgb.callback.CallbackEnv) -> None:
        score = env.evaluation_result_list[0][2]
        if score < self.best_score:
            self.best_score, self.best_iteration = score, env.iteration
            self.best_results = env.evaluation_result_list
        waited = env.iteration - self.best_iteration >= self.patience
        last = env.iteration == env.end_iteration - 1
        if last or (waited and env.iteration + 1 >= self.min_rounds):
            raise lgb.callback.EarlyStopException(self.best_iteration, self.best_results)


def train_booster(
    names: tuple[Sequence[str], Sequence[str]],
    train: tuple[TabularArrays, np.ndarray],
    window: tuple[TabularArrays, np.ndarray] | None,
    config: LightGBMConfig,
    min_rounds: int,
) -> tuple[lgb.Booster, list[float], Callable[[int], np.ndarray] | None, float]:
    """LightGBM on a prefix's processed arrays (``names``: the categorical and continuous
    columns): early-stopped on ``window`` (never before ``min_rounds``), with its per-round
    RMSPE and its log sales at any round there; without a window, exactly ``min_rounds``
    rounds. The last item is the training's wall seconds."""
    frame = feature_frame(train[0], *names)
    window_frame = None if window is None else feature_frame(window[0], *names)
    curve: list[float] = []
    start = time.perf_counter()
    booster = train_lightgbm(
        (frame, train[1]),
        config.categorical_among(names[0]),
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


def predict_lightgbm(booster: lgb.Booster, features: pd.DataFrame) -> np.ndarray:
    """Predicted sales (``exp`` of the log prediction), at the best iteration if early-stopped."""
    return np.exp(booster.predict(features))
