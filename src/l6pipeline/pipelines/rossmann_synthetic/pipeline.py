"""The generator pipeline. Not part of ``__default__``: ``make run`` runs it first."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines.rossmann_synthetic.nodes import generate_raw_tables
from l6pipeline.rossmann.raw.schemas import TABLES


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                generate_raw_tables,
                inputs="params:rossmann_synthetic",
                outputs={table: f"raw_{table}" for table in TABLES},
                name="generate_raw_tables",
            )
        ]
    )
