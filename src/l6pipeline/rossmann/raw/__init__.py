"""The raw Rossmann tables: reading the CSV files, their schemas and validation, and the
synthetic tables (no Kedro)."""

from l6pipeline.rossmann.raw.errors import RawDataError

__all__ = ["RawDataError"]
