"""``rossmann_ingest``: validate the seven raw tables at the boundary (typed Parquet out)."""

from l6pipeline.pipelines.rossmann_ingest.pipeline import create_pipeline

__all__ = ["create_pipeline"]
