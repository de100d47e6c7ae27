"""``augmentation``: fast.ai's transforms on kornia, galleries, and what regularization does."""

from l6pipeline.pipelines.augmentation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
