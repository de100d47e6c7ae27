"""The shared test helpers of ``tests/conftest.py`` that the slow end-to-end tests rely on."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from tests.conftest import enter_project


def test_enter_project_points_mlflow_at_the_project_until_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """kedro-mlflow sets MLflow's process-wide URI to its own project, and that URI wins over
    ``MLFLOW_TRACKING_URI``: a test entering another project must still read that project's
    store (a run looked up by id in the wrong store is "not found")."""
    other = f"sqlite:///{tmp_path / 'other.db'}"
    # As a kedro-mlflow session of another project leaves the process.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", other)
    monkeypatch.setattr(mlflow.tracking._tracking_service.utils, "_tracking_uri", other)
    root = tmp_path / "project"
    root.mkdir()
    with pytest.MonkeyPatch.context() as entered:
        assert enter_project(root, entered) == root
        assert mlflow.get_tracking_uri() == f"sqlite:///{root / 'mlflow.db'}"
        assert Path.cwd() == root
    assert mlflow.get_tracking_uri() == other
