"""Run a Kedro pipeline on objects in memory: the library calls (``build_feature_tables``, the
served model's features) are Kedro runs of the pipelines' own nodes, not a second runner."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner


def run_in_memory(
    pipeline: Pipeline, inputs: Mapping[str, Any], outputs: Iterable[str] | None = None
) -> dict[str, Any]:
    """``outputs`` of ``pipeline`` run by a ``SequentialRunner`` on the objects in ``inputs``
    (every one a ``MemoryDataset`` that passes objects as they are); only the nodes they need run."""
    if outputs is not None:
        outputs = list(outputs)
        pipeline = pipeline.to_outputs(*outputs)
    catalog = DataCatalog({name: MemoryDataset(copy_mode="assign") for name in pipeline.datasets()})
    for name in pipeline.inputs():
        catalog.save(name, inputs[name])
    results = SequentialRunner().run(pipeline, catalog)
    return {name: results[name].load() for name in (outputs or results)}
