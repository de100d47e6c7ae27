"""Project hooks: reject bad parameters and unreadable raw files before the first node runs.

Both run first (``tryfirst``), before kedro-mlflow opens a run, so that a default run does not
train the CNN for minutes and only then stop at a typo in ``rossmann_model.train`` or at a
gzip-compressed ``train.csv``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline

from l6pipeline.core.params import check_parameters
from l6pipeline.pipeline_registry import parameter_checks
from l6pipeline.project.datasets import RawCSVDataset, RawFileError
from l6pipeline.rossmann.raw.csv_files import check_raw_file
from l6pipeline.rossmann.raw.errors import RawDataError

PARAMS_PREFIX = "params:"


class ParameterHooks:
    """Check every parameter block the run's pipeline reads with the typed config its pipeline
    package names (``pipelines/<name>/parameters.py``, gathered by
    :func:`~l6pipeline.pipeline_registry.parameter_checks`): ranges and unknown keys, by full
    dotted name."""

    @hook_impl(tryfirst=True)
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        used = [
            name.removeprefix(PARAMS_PREFIX)
            for name in pipeline.inputs()
            if name.startswith(PARAMS_PREFIX) or name == "parameters"
        ]
        if used:
            check_parameters(catalog.load("parameters"), used, parameter_checks())


class RawDataHooks:
    """Before a run that reads raw tables, check that each file is there and is CSV text.

    Missing files are listed together with the environment's hint; a directory, an empty,
    compressed, UTF-16 or Latin-1 file is named with what it is and what to do
    (:func:`~l6pipeline.rossmann.raw.csv_files.check_raw_file`).
    """

    @hook_impl(tryfirst=True)
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        datasets = [catalog.get(name) for name in sorted(pipeline.inputs())]
        raw = [dataset for dataset in datasets if isinstance(dataset, RawCSVDataset)]
        missing = [dataset for dataset in raw if not Path(dataset.filepath).exists()]
        problems = [_missing_message(missing)] if missing else []
        for dataset in raw:
            if dataset not in missing:
                try:
                    check_raw_file(dataset.filepath)
                except RawDataError as exc:
                    problems.append(str(exc))
        if problems:
            raise RawFileError(" ".join(problems), problems)


def _missing_message(missing: list[RawCSVDataset]) -> str:
    folders: dict[str, list[str]] = {}
    for dataset in missing:
        path = PurePosixPath(dataset.filepath)
        folders.setdefault(str(path.parent), []).append(path.name)
    where = "; ".join(f"{', '.join(names)} in {folder}/" for folder, names in folders.items())
    return f"The raw Rossmann tables are missing: {where}. {missing[0].missing_hint}".strip()
