"""Project pipelines."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# The generator writes raw tables, so it never runs implicitly: `make run` runs it first, and the
# default run reads whatever raw tables the environment points at (synthetic, or real with
# `--env kaggle`) without ever writing raw data.
GENERATOR = "rossmann_synthetic"
# Batch prediction uses a model that an earlier `rossmann_model` run logged to MLflow; in the
# default run it could start before this run's model is logged, so it runs only when asked for.
ON_DEMAND = (GENERATOR, "rossmann_predict")


def register_pipelines() -> dict[str, Pipeline]:
    """Every pipeline under `pipelines/`, plus `__default__` (all but the on-demand ones)."""
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        (pipe for name, pipe in pipelines.items() if name not in ON_DEMAND), Pipeline([])
    )
    return pipelines
