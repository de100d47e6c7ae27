"""Project pipelines."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# The generator writes raw tables, so it never runs implicitly: `make run` runs it first, and the
# default run reads whatever raw tables the environment points at (synthetic, or real with
# `--env kaggle`) without ever writing raw data.
GENERATOR = "rossmann_synthetic"


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline under `pipelines/`, plus `__default__` (all but the generator)."""
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        (pipe for name, pipe in pipelines.items() if name != GENERATOR), Pipeline([])
    )
    return pipelines
