"""Validation of the raw Rossmann tables: parsed columns, row and cross-table checks, and
errors that name the file, column, line and value."""

from l6pipeline.rossmann.raw.validation.tables import (
    validate_raw_tables,
    validate_table,
    validate_tables,
)

__all__ = ["validate_raw_tables", "validate_table", "validate_tables"]
