"""Torch pieces shared by the tabular and vision pipelines (no Kedro here)."""

from l6pipeline.nn.device import resolve_device
from l6pipeline.nn.dropout import Dropout
from l6pipeline.nn.embedding import EmbeddingTable
from l6pipeline.nn.reproducibility import seed_everything
from l6pipeline.nn.training import EpochResult, TrainConfig, fit_one_cycle, predict

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
