"""Torch pieces shared by the tabular and vision pipelines (no Kedro here)."""

from l6pipeline.core.nn.device import resolve_device
from l6pipeline.core.nn.dropout import Dropout
from l6pipeline.core.nn.embedding import EmbeddingTable
from l6pipeline.core.nn.reproducibility import seed_everything
from l6pipeline.core.nn.training import EpochResult, TrainConfig, fit_one_cycle, predict

__all__ = [
    "Dropout",
    "EmbeddingTable",
    "EpochResult",
    "TrainConfig",
    "fit_one_cycle",
    "predict",
    "resolve_device",
    "seed_everything",
]
