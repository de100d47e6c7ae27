"""Rossmann feature engineering (fast.ai course-v3 ``rossman_data_clean``), vectorized.

Pure table functions; the Kedro pipeline ``rossmann_data`` chains them.
"""

from .joins import JoinError, left_join

__all__ = ["JoinError", "left_join"]
