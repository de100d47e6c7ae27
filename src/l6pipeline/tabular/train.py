"""Build and train the entity-embedding model on processed arrays (no Kedro, no MLflow here)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from l6pipeline.nn import EpochResult, TrainConfig, fit_one_cycle, predict, seed_everything
from l6pipeline.params import check_each, check_int, check_number, known_params
from l6pipeline.tabular.metrics import exp_rmspe
from l6pipeline.tabular.model import TabularModel, embedding_sizes
from l6pipeline.tabular.processors import TabularArrays, TabularProcessor


@dataclass(frozen=True)
class ModelConfig:
    """Architecture (the lesson's by default); ``emb_sizes`` overrides the size rule per input."""

    layers: Sequence[int] = (1000, 500)
    ps: Sequence[float] = (0.001, 0.01)
    emb_drop: float = 0.04
    emb_sizes: Mapping[str, int] = field(default_factory=dict)
    y_range_scale: float = 1.2  # outputs in [0, log(y_range_scale * max training sales)]

    @classmethod
    def from_params(cls, params: Mapping) -> ModelConfig:
        return cls(**known_params(params, cls.__dataclass_fields__, "model"))

    def __post_init__(self) -> None:
        """A value out of range names its key before any training (``l6pipeline.params``)."""
        check_each(check_int, "layers", self.layers, minimum=1)
        check_each(check_number, "ps", self.ps, minimum=0, below=1)
        check_number("emb_drop", self.emb_drop, minimum=0, below=1)
        for name, size in dict(self.emb_sizes).items():
            check_int(f"emb_sizes.{name}", size, minimum=1)
        check_number("y_range_scale", self.y_range_scale, above=0)


def log_sales(sales: np.ndarray) -> np.ndarray:
    """The target: natural log of sales (rows with zero sales are not trained on)."""
    sales = np.asarray(sales, dtype=np.float64)
    if (sales <= 0).any():
        raise ValueError("log sales needs positive sales: drop closed / zero-sales days first")
    return np.log(sales)


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


def train_entity_model(
    processor: TabularProcessor,
    train: tuple[TabularArrays, np.ndarray],
    valid: tuple[TabularArrays, np.ndarray],
    model_config: ModelConfig,
    train_config: TrainConfig,
    on_epoch_end: Callable[[EpochResult], None] | None = None,
) -> tuple[TabularModel, list[EpochResult]]:
    """Train on ``(arrays, sales)`` pairs; the loss is MSE on log sales.

    The seed is set before the model is built, so initial weights, dropout masks and batch
    order all follow from ``train_config.seed``.
    """
    (train_x, train_sales), (valid_x, valid_sales) = train, valid
    seed_everything(train_config.seed)
    model = build_model(processor, float(np.max(train_sales)), model_config)
    history = fit_one_cycle(
        model,
        nn.functional.mse_loss,
        train=as_tensors(train_x, log_sales(train_sales)),
        valid=as_tensors(valid_x, log_sales(valid_sales)),
        config=train_config,
        metrics={"rmspe": rmspe_metric},
        on_epoch_end=on_epoch_end,
    )
    return model.cpu().eval(), history


def predict_sales(model: nn.Module, arrays: TabularArrays, device: str = "auto") -> np.ndarray:
    """Predicted sales (``exp`` of the log prediction), float64 ``[n]``."""
    log_pred = predict(model, as_tensors(arrays), device=device)
    model.cpu()
    return np.exp(log_pred.double().numpy().reshape(-1))
