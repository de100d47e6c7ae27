"""Project hooks: fail fast, with the fix, when the raw Rossmann tables are not there."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline

from l6pipeline.datasets.raw_csv import RawCSVDataset, RawFileError


class RawDataHooks:
    """Before a run that reads raw tables, check that their files exist.

    Without this check a default run could train the CNN first and only then stop at the
    missing ``train.csv``. Runs first (``tryfirst``), before kedro-mlflow opens a run.
    """

    @hook_impl(tryfirst=True)
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        missing: list[RawCSVDataset] = []
        for name in sorted(pipeline.inputs()):
            dataset = catalog.get(name)
            if isinstance(dataset, RawCSVDataset) and not dataset.exists():
                missing.append(dataset)
        if missing:
            folders: dict[str, list[str]] = {}
            for dataset in missing:
                path = PurePosixPath(dataset.filepath)
                folders.setdefault(str(path.parent), []).append(path.name)
            where = "; ".join(
                f"{', '.join(names)} in {folder}/" for folder, names in folders.items()
            )
            raise RawFileError(
                f"The raw Rossmann tables are missing: {where}. {missing[0].missing_hint}"
            )
