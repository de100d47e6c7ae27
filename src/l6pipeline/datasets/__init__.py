"""Custom Kedro datasets (the one place, besides pipelines, where Kedro-aware code lives)."""

from l6pipeline.datasets.raw_csv import RawCSVDataset

__all__ = ["RawCSVDataset"]
