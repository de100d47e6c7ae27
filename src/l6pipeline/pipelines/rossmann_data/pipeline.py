"""The Rossmann feature pipeline: the raw-layer validation, then the lesson's feature steps.

The steps and their order are defined once, in ``rossmann.features.build.feature_steps`` (the
library's ``build_feature_tables`` runs the same list); this module only names their inputs as
the catalog does: the seven tables are ``validated_<table>``, the parameters
``params:rossmann_data.<name>`` (the store partitions have a top-level key of their own, so that
an env such as ``conf/dask`` sets them without repeating the ``rossmann_data`` block). Steps and
columns: ``docs/rossmann_data.md``; the Dask engine: ``docs/scale.md``.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines import rossmann_ingest
from l6pipeline.rossmann.features.build import Step, feature_steps
from l6pipeline.rossmann.schemas import TABLES

CATALOG_NAMES = {
    **{table: f"validated_{table}" for table in TABLES},
    "trend_alignment": "params:rossmann_data.trend_alignment",
    "event_window_rows": "params:rossmann_data.event_window_rows",
    "store_partitions": "params:rossmann_data_store_partitions",
}


def catalog_name(name: str) -> str:
    """The catalog's name of a step input or output."""
    return CATALOG_NAMES.get(name, name)


def step_node(step: Step) -> Node:
    outputs = [catalog_name(name) for name in step.outputs]
    return Node(
        step.func,
        [catalog_name(name) for name in step.inputs],
        outputs if len(outputs) > 1 else outputs[0],
        name=step.name,
    )


def create_feature_pipeline() -> Pipeline:
    """The feature nodes alone (inputs: the ``validated_*`` datasets and parameters)."""
    return Pipeline([step_node(step) for step in feature_steps()])


def create_pipeline(**kwargs) -> Pipeline:
    """Validation of the raw tables (``rossmann_ingest``) followed by the feature nodes."""
    return rossmann_ingest.create_pipeline() + create_feature_pipeline()
