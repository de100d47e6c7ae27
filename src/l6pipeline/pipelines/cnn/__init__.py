"""``cnn``: what a convolution is (spreadsheet, kernels), a small CNN, and where it looks."""

from l6pipeline.pipelines.cnn.pipeline import create_pipeline

__all__ = ["create_pipeline"]
