"""``rossmann_model``: feature tables -> entity-embedding network, baseline, report, submission."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
