"""Project settings (see https://docs.kedro.org/en/stable/configure/configuration_basics/).

kedro-mlflow registers its hook through its entry point; nothing to add here for it.
"""

from omegaconf.resolvers import oc

from l6pipeline.hooks import RawDataHooks
from l6pipeline.scaleout.dask_client import DaskClientHooks

# Stops a run early, with the fix, when the raw Rossmann tables it reads are missing.
# DaskClientHooks: a Dask client for the run when `conf/dask` enables it (docs/scale.md).
HOOKS = (RawDataHooks(), DaskClientHooks())

# `oc.env` lets `conf/base/mlflow.yml` honour MLFLOW_TRACKING_URI while defaulting to the
# project's SQLite store.
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"oc.env": oc.env},
}
