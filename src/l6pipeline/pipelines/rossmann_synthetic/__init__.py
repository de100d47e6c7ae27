"""``rossmann_synthetic``: write the seven raw tables of a synthetic Rossmann data set."""

from l6pipeline.pipelines.rossmann_synthetic.pipeline import create_pipeline

__all__ = ["create_pipeline"]
