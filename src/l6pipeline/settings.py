"""Project settings (see https://docs.kedro.org/en/stable/configure/configuration_basics/).

kedro-mlflow registers its hook through its entry point; nothing to add here for it.
"""

from omegaconf.resolvers import oc

from l6pipeline.project.dask_client import DaskClientHooks
from l6pipeline.project.hooks import ParameterHooks, RawDataHooks

# Stop a run before its first node, with the fix, when a parameter it reads is out of range or
# unknown, or a raw Rossmann table it reads is missing or not CSV text.
# DaskClientHooks: a Dask client for the run when `conf/dask` enables it (docs/scale.md).
HOOKS = (ParameterHooks(), RawDataHooks(), DaskClientHooks())

# `oc.env` lets `conf/base/mlflow.yml` honour MLFLOW_TRACKING_URI while defaulting to the
# project's SQLite store. Parameters merge key by key ("soft"): an environment (or a `--params`
# override, which Kedro merges into each environment's parameters before environments are
# merged) sets the nested keys it names and keeps the others, instead of replacing whole
# top-level blocks.
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"oc.env": oc.env},
    "merge_strategy": {"parameters": "soft"},
}
