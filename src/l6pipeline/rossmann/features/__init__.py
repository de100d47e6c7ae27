"""Rossmann feature engineering (fast.ai course-v3 ``rossman_data_clean``), vectorized."""

from .build import build_feature_tables, feature_steps
from .joins import JoinError, left_join

__all__ = ["JoinError", "build_feature_tables", "feature_steps", "left_join"]
