"""``rossmann_data``: validated raw tables -> training and test feature tables."""

from .pipeline import build_feature_tables, create_pipeline

__all__ = ["build_feature_tables", "create_pipeline"]
