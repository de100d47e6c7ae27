"""Build and train the entity-embedding model on processed arrays (no Kedro, no MLflow here)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from l6pipeline.core.nn import EpochResult, TrainConfig, fit_one_cycle, seed_everything
from l6pipeline.core.nn.lr_finder import LRFinderConfig, LRFinderResult, lr_find
from l6pipeline.core.params import (
    ParameterError,
    Parameters,
    check_each,
    check_int,
    check_number,
)
from l6pipeline.rossmann.model.ensemble import SalesEnsemble, network_log_sales
from l6pipeline.rossmann.model.metrics import exp_rmspe, log_sales
from l6pipeline.rossmann.model.network import TabularModel, embedding_sizes
from l6pipeline.rossmann.model.processors import TabularArrays, TabularProcessor


@dataclass(frozen=True)
class ModelConfig(Parameters, what="model"):
    """Architecture (the lesson's by default); ``emb_sizes`` overrides the size rule per input."""

    layers: Sequence[int] = (1000, 500)
    ps: Sequence[float] = (0.001, 0.01)
    emb_drop: float = 0.04
    emb_sizes: Mapping[str, int] = field(default_factory=dict)
    y_range_scale: float = 1.2  # outputs in [0, log(y_range_scale * max training sales)]
    start_at_mean: bool = True  # untrained output = mean training log sales (TabularModel.start_at)

    def __post_init__(self) -> None:
        """A value out of range names its key before any training (``l6pipeline.core.params``)."""
        check_each(check_int, "layers", self.layers, minimum=1)
        check_each(check_number, "ps", self.ps, minimum=0, below=1)
        if len(self.ps) != len(self.layers):
            raise ParameterError(
                "ps",
                f"must hold one dropout probability per hidden layer ({len(self.layers)} layers)",
                self.ps,
            )
        check_number("emb_drop", self.emb_drop, minimum=0, below=1)
        for name, size in dict(self.emb_sizes).items():
            check_int(f"emb_sizes.{name}", size, minimum=1)
        check_number("y_range_scale", self.y_range_scale, above=0)


def as_tensors(arrays: TabularArrays, target: np.ndarray | None = None) -> tuple[torch.Tensor, ...]:
    """``(x_cat, x_cont)`` or ``(x_cat, x_cont, y [n, 1])`` for the training loop."""
    tensors = (torch.from_numpy(arrays.cats), torch.from_numpy(arrays.conts))
    if target is None:
        return tensors
    y = torch.as_tensor(np.asarray(target, dtype=np.float32)).reshape(-1, 1)
    return (*tensors, y)


def build_model(processor: TabularProcessor, max_sales: float, config: ModelConfig) -> TabularModel:
    sizes = embedding_sizes(processor.cardinalities, config.emb_sizes)
    return TabularModel(
        emb_sizes=list(sizes.values()),
        n_cont=len(processor.cont_vars),
        layers=config.layers,
        ps=config.ps,
        emb_drop=config.emb_drop,
        y_range=(0.0, math.log(config.y_range_scale * max_sales)),
    )


def rmspe_metric(preds: torch.Tensor, target: torch.Tensor) -> float:
    """Exact validation RMSPE of log-sales predictions (a ``fit_one_cycle`` metric)."""
    return exp_rmspe(preds, target)


def initial_model(
    processor: TabularProcessor, train_sales: np.ndarray, config: ModelConfig, seed: int
) -> TabularModel:
    """The untrained network for ``seed`` (weights follow from the seed alone)."""
    seed_everything(seed)
    model = build_model(processor, float(np.max(train_sales)), config)
    if config.start_at_mean:
        model.start_at(float(log_sales(train_sales).mean()))
    return model


def find_learning_rate(
    processor: TabularProcessor,
    train: tuple[TabularArrays, np.ndarray],
    model_config: ModelConfig,
    train_config: TrainConfig,
    num_it: int = 100,
    start_lr: float = 1e-6,
    end_lr: float = 1.0,
) -> LRFinderResult:
    """fast.ai's ``learn.lr_find()`` for this model: the LR range test on a fresh network at the
    training batch size and weight decay."""
    train_x, train_sales = train
    model = initial_model(processor, train_sales, model_config, train_config.seed)
    return lr_find(
        model,
        nn.functional.mse_loss,
        as_tensors(train_x, log_sales(train_sales)),
        batch_size=train_config.batch_size,
        start_lr=start_lr,
        end_lr=end_lr,
        num_it=num_it,
        wd=train_config.wd,
        seed=train_config.seed,
        device=train_config.device,
        num_threads=train_config.num_threads,
    )


def sweep_learning_rate(
    rows: pd.DataFrame,
    cat_vars: Sequence[str],
    cont_vars: Sequence[str],
    model_config: ModelConfig,
    train_config: TrainConfig,
    sweep: LRFinderConfig,
) -> LRFinderResult:
    """:func:`find_learning_rate` on labelled ``rows``, with processors fitted on them alone
    and the sweep's range and steps."""
    processor = TabularProcessor.fit(rows, cat_vars, cont_vars)
    return find_learning_rate(
        processor,
        (processor.transform(rows), rows["Sales"].to_numpy(np.float64)),
        model_config,
        train_config,
        num_it=sweep.num_it,
        start_lr=sweep.start_lr,
        end_lr=sweep.end_lr,
    )


def train_entity_model(
    processor: TabularProcessor,
    train: tuple[TabularArrays, np.ndarray],
    valid: tuple[TabularArrays, np.ndarray] | None,
    model_config: ModelConfig,
    train_config: TrainConfig,
    on_epoch_end: Callable[[EpochResult], None] | None = None,
    stop_after: int | None = None,
    keep_states: bool = False,
) -> tuple[TabularModel, list[EpochResult]]:
    """Train on ``(arrays, sales)`` pairs; the loss is MSE on log sales (fast.ai's
    ``tabular_learner(...).fit_one_cycle`` with the lesson's ``log=True`` target).

    The seed is set before the model is built, so initial weights, dropout masks and batch
    order all follow from ``train_config.seed``. With ``valid``, every epoch reports the exact
    RMSPE there (and ``monitor = "rmspe"`` keeps the best epoch); ``stop_after`` and
    ``keep_states`` are :func:`~l6pipeline.core.nn.training.fit_one_cycle`'s.
    """
    train_x, train_sales = train
    model = initial_model(processor, train_sales, model_config, train_config.seed)
    history = fit_one_cycle(
        model,
        nn.functional.mse_loss,
        train=as_tensors(train_x, log_sales(train_sales)),
        valid=None if valid is None else as_tensors(valid[0], log_sales(valid[1])),
        config=train_config,
        metrics=None if valid is None else {"rmspe": rmspe_metric},
        on_epoch_end=on_epoch_end,
        stop_after=stop_after,
        keep_states=keep_states,
    )
    return model.cpu().eval(), history


def member_seeds(seed: int, members: int) -> list[int]:
    """Seeds of an ensemble's networks: ``seed, seed + 1, ...`` (one member: just ``seed``)."""
    if members < 1:
        raise ValueError(f"an ensemble needs at least one member, got {members}")
    return [seed + i for i in range(members)]


def predict_sales(
    model: nn.Module | SalesEnsemble, arrays: TabularArrays, device: str = "auto"
) -> np.ndarray:
    """Predicted sales (``exp`` of the log prediction), float64 ``[n]``, of one network or of an
    ensemble: the one call that every consumer (evaluation, submission, serving) uses."""
    if isinstance(model, SalesEnsemble):
        return model.predict(arrays, device)
    return np.exp(network_log_sales(model, arrays, device))
