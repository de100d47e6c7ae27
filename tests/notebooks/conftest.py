"""The throwaway project the notebooks read: the session's Rossmann chain plus small image runs."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, SMALL_MODEL, RossmannProject, enter_project, run_kedro

NOTEBOOKS = PROJECT_ROOT / "notebooks"

# The image pipelines with seconds-sized settings: fewer images and epochs, and narrow
# networks. The notebooks read what these runs leave in the catalog and in MLflow, beside the
# Rossmann chain of the session's ``rossmann_project``.
SMALL_RUNS: list[tuple[list[str], dict]] = [
    (
        ["cnn"],
        {
            "cnn": {
                "data": {"max_images": 600},
                "kernels": {"photo_max_side": 64, "small_photo_max_side": 32, "padding": 2},
                "classifier": {
                    "model": {"widths": [8, 16], "strides": [2, 2]},
                    "train": {"epochs": 2, "batch_size": 64, "progress": False},
                },
                "localization": {
                    "canvas": 48,
                    "n_show": 4,
                    "model": {"widths": [8, 16], "strides": [2, 1]},
                    "train": {"epochs": 1, "batch_size": 64, "progress": False},
                },
            }
        },
    ),
    (
        ["augmentation"],
        {
            "augmentation": {
                "galleries": {"photo_size": 48, "n": 4, "padding_rows": 2},
                "digits": {"n_train": 100, "n_valid": 100},
                "model": {"widths": [8, 16]},
                "experiment": {"train": {"epochs": 2, "batch_size": 32}},
                "study": {"train": {"epochs": 2, "batch_size": 32}},
            }
        },
    ),
]


@pytest.fixture(scope="module")
def notebook_project(rossmann_project: RossmannProject) -> Iterator[Path]:
    """The session's Rossmann project (``rossmann_project``: synthetic -> rossmann_data ->
    rossmann_model), with the notebooks and the small image runs above added.

    Shared by every notebook of the module: the runs take a minute, the notebooks only read
    their outputs.
    """
    root = rossmann_project.root
    shutil.copytree(NOTEBOOKS, root / "notebooks", dirs_exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        enter_project(root, patch)  # the kernels inherit the store: notebooks and runs share it
        start = time.perf_counter()
        for pipelines, params in SMALL_RUNS:
            run_kedro(root, pipelines, params=params)
        print(f"\nsmall image runs for the notebooks: {time.perf_counter() - start:.0f} s")  # noqa: T201
        yield root


@pytest.fixture(scope="module")
def kaggle_notebook_project(notebook_project: Path) -> Path:
    """``notebook_project`` plus a ``--env kaggle`` Rossmann chain, as ``make notebooks
    ENV=kaggle`` finds it after a real-data run.

    The "real" files are the session's synthetic tables copied to data/01_raw/rossmann/, where
    users put Kaggle's: same columns, codes and CSV format, a few seconds to train on.
    """
    raw = notebook_project / "data/01_raw/rossmann"
    raw.mkdir(parents=True)
    for table in (notebook_project / "data/01_raw/synthetic").glob("*.csv"):
        shutil.copy(table, raw / table.name)
    with pytest.MonkeyPatch.context() as patch:
        enter_project(notebook_project, patch)
        run_kedro(notebook_project, ["rossmann_data", "rossmann_model"], "kaggle", SMALL_MODEL)
    assert (notebook_project / "data/08_reporting/rossmann_kaggle/metrics.json").exists()
    return notebook_project
