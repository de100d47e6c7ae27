"""One node takes all seven raw tables and returns all seven validated ones, so that bad input
stops the run before anything downstream is written."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from l6pipeline.rossmann.raw.schemas import TABLES
from l6pipeline.rossmann.raw.validation import validate_raw_tables


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                validate_raw_tables,
                inputs={table: f"raw_{table}" for table in TABLES},
                outputs={table: f"validated_{table}" for table in TABLES},
                name="validate_raw_tables",
            )
        ]
    )
