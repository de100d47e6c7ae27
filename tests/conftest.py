"""Shared fixtures: isolation from the user's MLflow store and data, throwaway Kedro projects."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Real files, which the repository does not hold: the user's own copies, where the docs tell
# them to put those, first; then the developers' reference copies beside the checkout.
REFERENCE_DATA = PROJECT_ROOT.parent / "shared" / "data"
ROSSMANN_FOLDERS = (PROJECT_ROOT / "data" / "01_raw" / "rossmann", REFERENCE_DATA / "rossmann")
IMAGE_FOLDERS = (PROJECT_ROOT / "data" / "01_raw" / "images", REFERENCE_DATA / "images")
ROSSMANN_FILES = (
    "train.csv test.csv store.csv store_states.csv state_names.csv googletrend.csv weather.csv"
).split()
NO_ROSSMANN = (
    "the real Rossmann files are not here: put Kaggle's train.csv, test.csv, store.csv and "
    "fast.ai's store_states.csv, state_names.csv, googletrend.csv, weather.csv in "
    "data/01_raw/rossmann/ (docs/real_data.md), then run `make check-data`"
)


def base_parameters(pipeline: str) -> dict:
    """``conf/base``'s parameters of ``pipeline`` (its top-level block), a fresh copy."""
    import yaml

    conf = PROJECT_ROOT / "conf" / "base" / f"parameters_{pipeline}.yml"
    return yaml.safe_load(conf.read_text())[pipeline]


def real_rossmann_folder(folders: tuple[Path, ...] = ROSSMANN_FOLDERS) -> Path | None:
    """The first of ``folders`` that holds all seven real Rossmann files, or None."""
    for folder in folders:
        if all((folder / name).is_file() for name in ROSSMANN_FILES):
            return folder
    return None


def require_real_rossmann(folders: tuple[Path, ...] = ROSSMANN_FOLDERS) -> Path:
    """The real Rossmann folder; the calling test is skipped, saying what to do, without it."""
    folder = real_rossmann_folder(folders)
    if folder is None:
        pytest.skip(NO_ROSSMANN)
    return folder


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Every test starts without the figures of the tests before it."""
    yield
    plt.close("all")


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No telemetry, and nothing a test logs can reach the user's `mlflow.db`."""
    patch = pytest.MonkeyPatch()
    store = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
    patch.setenv("KEDRO_DISABLE_TELEMETRY", "1")
    patch.setenv("DO_NOT_TRACK", "1")
    yield
    patch.undo()


@pytest.fixture(scope="session")
def mlflow_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite store created (schema migrated) once; copying it saves seconds a run."""
    import mlflow

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


def copy_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_template_db: Path) -> Path:
    """The body of ``kedro_project``, for fixtures of a wider scope (one training per session)."""
    shutil.copytree(
        PROJECT_ROOT / "conf", tmp_path / "conf", ignore=shutil.ignore_patterns("local")
    )
    (tmp_path / "conf" / "local").mkdir()
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    (tmp_path / "data").mkdir()
    # bootstrap_project insists on a source dir; the package itself is installed (editable).
    (tmp_path / "src").mkdir()
    shutil.copy(mlflow_template_db, tmp_path / "mlflow.db")
    return enter_project(tmp_path, monkeypatch)


def enter_project(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the throwaway project at ``root`` the working directory and its `mlflow.db` the
    MLflow store, until ``monkeypatch`` is undone."""
    import mlflow

    uri = f"sqlite:///{root / 'mlflow.db'}"
    monkeypatch.chdir(root)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    # MLflow's process-wide URI wins over the variable, and every kedro-mlflow session sets it
    # to its own project: point it here too, and put back the previous one with the variable.
    monkeypatch.setattr(mlflow.tracking._tracking_service.utils, "_tracking_uri", uri)
    return root


@pytest.fixture
def kedro_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_template_db: Path
) -> Path:
    """A throwaway copy of the project (conf + pyproject) as the working directory.

    Kedro resolves relative dataset paths against the working directory, so runs write their
    data, `mlflow.db` and artifacts under ``tmp_path``, never into the checkout.
    """
    return copy_project(tmp_path, monkeypatch, mlflow_template_db)


# Seconds-sized settings of the Rossmann chain (``rossmann_project`` and the runs beside it).
SMALL_DATA = {"rossmann_synthetic": {"n_stores": 12}}
SMALL_MODEL = {
    "rossmann_model": {
        "network": {"layers": [64, 32]},
        "train": {
            "epochs": 3,
            "batch_size": 256,
            "num_threads": 1,
            "progress": False,
            "lr": "auto",
        },
        "lr_finder": {"num_it": 30},
        "ensemble": {"members": 2},
        "lightgbm": {"num_boost_round": 60, "lgb_params": {"num_threads": 1}},
    }
}
CHAIN_RUN = "rossmann_data+rossmann_model"  # the MLflow run name of the chain's model run


@dataclass(frozen=True)
class RossmannProject:
    """A throwaway project after the whole Rossmann chain (see ``rossmann_project``)."""

    root: Path
    new_store: int  # held out of the raw train and test tables: a store the model never saw
    new_store_rows: pd.DataFrame  # its validated test rows
    model_run_id: str  # the MLflow run of the chain's rossmann_data + rossmann_model run


@pytest.fixture(scope="session")
def rossmann_project(
    tmp_path_factory: pytest.TempPathFactory, mlflow_template_db: Path
) -> RossmannProject:
    """synthetic -> ``rossmann_data`` -> ``rossmann_model``, built once per test session.

    Small synthetic tables (12 stores, one of them held out of ``train.csv`` and ``test.csv``),
    then the pipelines ``rossmann_data`` and ``rossmann_model`` run by name with small training
    settings (``SMALL_MODEL``). Readers enter it with :func:`enter_project`; they may add runs
    and outputs beside the chain's, never change them.
    """
    import mlflow

    from l6pipeline.rossmann.raw.csv_files import read_raw_csv, write_raw_csv
    from l6pipeline.rossmann.raw.validation import validate_table

    with pytest.MonkeyPatch.context() as monkeypatch:
        root = copy_project(tmp_path_factory.mktemp("rossmann"), monkeypatch, mlflow_template_db)
        run_kedro(root, ["rossmann_synthetic"], params=SMALL_DATA)
        raw = root / "data/01_raw/synthetic"
        train = validate_table("train", read_raw_csv(raw / "train.csv"))
        test = validate_table("test", read_raw_csv(raw / "test.csv"))
        new_store = int(test["Store"].iloc[-1])
        write_raw_csv(train[train["Store"] != new_store], raw / "train.csv", "train")
        write_raw_csv(test[test["Store"] != new_store], raw / "test.csv", "test")
        run_kedro(root, ["rossmann_data", "rossmann_model"], params=SMALL_MODEL)
        (chain_run,) = mlflow.search_runs(
            experiment_names=["l6pipeline"],
            filter_string=f"tags.mlflow.runName = '{CHAIN_RUN}'",
            output_format="list",
        )
    rows = test[test["Store"] == new_store].reset_index(drop=True)
    return RossmannProject(root, new_store, rows, chain_run.info.run_id)


def run_kedro(
    project_path: Path,
    pipeline_names: list[str] | None = None,
    env: str | None = None,
    params: dict | None = None,
) -> dict:
    """Run pipelines in a fresh KedroSession of ``project_path``, in an MLflow run of their own;
    return the run's free outputs."""
    import mlflow
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    # kedro-mlflow adopts a run left active in this process (and then does not close it).
    while mlflow.active_run() is not None:
        mlflow.end_run()
    bootstrap_project(project_path)
    try:
        with KedroSession.create(
            project_path=project_path, env=env, runtime_params=params or {}
        ) as session:
            return session.run(pipeline_names=pipeline_names)
    finally:
        # kedro-mlflow leaves its run active in this process when a run fails; close it so the
        # next run in the same test process starts its own run.
        while mlflow.active_run() is not None:
            mlflow.end_run()


@pytest.fixture
def real_rossmann() -> Path:
    """The real Kaggle + fast.ai Rossmann files (see ``ROSSMANN_FOLDERS``; skipped when absent)."""
    return require_real_rossmann()


@pytest.fixture
def real_images() -> Path:
    """fast.ai's image folders mnist_tiny and oxford_pets_sample (skipped when absent)."""
    for folder in IMAGE_FOLDERS:
        if (folder / "mnist_tiny").is_dir():
            return folder
    pytest.skip(
        "fast.ai's sample images are not here: unpack its mnist_tiny and oxford_pets_sample "
        "archives into data/01_raw/images/ (docs/cnn.md)"
    )
