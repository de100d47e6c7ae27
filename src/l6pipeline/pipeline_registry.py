"""Project pipelines, and which typed config checks which of their parameter blocks."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

from l6pipeline import pipelines as pipelines_package
from l6pipeline.core.params import Validator

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


def parameter_checks() -> dict[str, Validator]:
    """Every pipeline package's ``parameters.PARAMETERS`` (its block -> the typed parameters
    that check it), merged. Read when a run starts: the configs import torch."""
    checks: dict[str, Validator] = {}
    for package in pkgutil.iter_modules(pipelines_package.__path__):
        name = f"{pipelines_package.__name__}.{package.name}.parameters"
        if package.ispkg and importlib.util.find_spec(name) is not None:
            checks.update(importlib.import_module(name).PARAMETERS)
    return checks
