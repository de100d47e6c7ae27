"""A throwaway project holding every catalog entry the notebooks read, from small runs."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, run_kedro

NOTEBOOKS = PROJECT_ROOT / "notebooks"

# The default pipelines with seconds-sized settings: fewer stores, images and epochs, and
# narrow networks. The notebooks read what these runs leave in the catalog and in MLflow.
SMALL_RUNS: list[tuple[list[str], dict]] = [
    (["rossmann_synthetic"], {"rossmann_synthetic": {"n_stores": 20}}),
    (
        ["rossmann_data", "rossmann_model"],
        {
            "rossmann_model_network": {"layers": [64, 32]},
            "rossmann_model_lr_finder": {"num_it": 30},
            "rossmann_model_train": {"epochs": 2, "num_threads": 1, "progress": False},
            "rossmann_model_baseline": {"num_boost_round": 20, "lgb_params": {"num_threads": 1}},
        },
    ),
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
def notebook_project(
    tmp_path_factory: pytest.TempPathFactory, mlflow_template_db: Path
) -> Iterator[Path]:
    """A copy of the project (conf, pyproject, notebooks) after the small runs above.

    Like ``kedro_project``, but shared by every notebook of the module: the runs take a
    minute, the notebooks only read their outputs.
    """
    root = tmp_path_factory.mktemp("notebook-project")
    shutil.copytree(PROJECT_ROOT / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
    (root / "conf" / "local").mkdir()
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    (root / "data").mkdir()
    (root / "src").mkdir()  # bootstrap_project insists on it; the package is installed
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    shutil.copy(mlflow_template_db, root / "mlflow.db")
    patch = pytest.MonkeyPatch()
    patch.chdir(root)
    # The kernels inherit it: notebooks and runs share the throwaway store.
    patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    start = time.perf_counter()
    for pipelines, params in SMALL_RUNS:
        run_kedro(root, pipelines, params=params)
    print(f"\nsmall runs for the notebooks: {time.perf_counter() - start:.0f} s")  # noqa: T201
    yield root
    patch.undo()
