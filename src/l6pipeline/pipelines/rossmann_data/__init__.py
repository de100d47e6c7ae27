"""``rossmann_data``: validated raw tables -> training and test feature tables."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
