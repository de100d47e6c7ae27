"""``rossmann_model``: feature tables -> entity-embedding networks blended with LightGBM, report,
submission."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
