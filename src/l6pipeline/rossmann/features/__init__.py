"""Rossmann feature engineering (fast.ai course-v3 ``rossman_data_clean``), vectorized."""

from .build import build_feature_tables, build_rows, prepare_context
from .joins import JoinError, left_join

__all__ = ["JoinError", "build_feature_tables", "build_rows", "left_join", "prepare_context"]
