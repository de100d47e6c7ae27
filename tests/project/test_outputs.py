"""`make submission` and `make serve` pick the newest output, and say so when there is none."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import Version
from kedro_datasets.pandas import CSVDataset
from mlflow import MlflowClient

from l6pipeline.core.errors import UserInputError
from l6pipeline.project.outputs import (
    OutputNotFoundError,
    PipelineNotRunError,
    SubmissionCopyError,
    main,
    newest_model,
    newest_version,
    require_outputs,
    run_command,
)

KAGGLE_SUBMISSION = Path("data/07_model_output/rossmann_kaggle/submission.csv")


def _save_versions(path: Path, frames: list[pd.DataFrame]) -> CSVDataset:
    """Save each frame as a new version, the way the catalog's versioned datasets do."""
    for frame in frames:
        CSVDataset(filepath=str(path), version=Version(None, None)).save(frame)
        time.sleep(0.002)  # versions are millisecond timestamps
    return CSVDataset(filepath=str(path), version=Version(None, None))


def test_newest_version_is_the_one_kedro_loads(tmp_path: Path):
    frames = [pd.DataFrame({"Id": [1, 2], "Sales": [float(k), 0.0]}) for k in range(3)]
    dataset = _save_versions(tmp_path / "submission.csv", frames)
    newest = newest_version(tmp_path / "submission.csv")
    pd.testing.assert_frame_equal(pd.read_csv(newest), dataset.load())
    pd.testing.assert_frame_equal(pd.read_csv(newest), frames[-1])


def test_make_submission_copies_the_newest_kaggle_version(kedro_project: Path, capsys):
    # A synthetic-data submission saved after the Kaggle ones must not be picked.
    _save_versions(kedro_project / KAGGLE_SUBMISSION, [pd.DataFrame({"Id": [k]}) for k in (1, 2)])
    _save_versions(
        kedro_project / "data/07_model_output/rossmann/submission.csv", [pd.DataFrame({"Id": [9]})]
    )
    assert main(["--root", str(kedro_project), "submission"]) == 0
    copied = kedro_project / "data/07_model_output/kaggle_submission.csv"
    assert pd.read_csv(copied)["Id"].tolist() == [2]
    assert str(copied) in capsys.readouterr().out

    assert main(["--root", str(kedro_project), "submission", "--env", "base"]) == 0
    synthetic = kedro_project / "data/07_model_output/base_submission.csv"
    assert pd.read_csv(synthetic)["Id"].tolist() == [9]
    assert pd.read_csv(copied)["Id"].tolist() == [2]  # the Kaggle copy is left alone


def test_make_submission_without_a_kaggle_run_says_what_to_run(kedro_project: Path, capsys):
    assert main(["--root", str(kedro_project), "submission"]) == 2
    err = capsys.readouterr().err
    assert "no submission yet" in err and "kedro run --env kaggle --pipelines" in err
    assert "Traceback" not in err
    assert not list((kedro_project / "data").rglob("*_submission.csv"))

    assert main(["--root", str(kedro_project), "submission", "--env", "base"]) == 2
    assert "`kedro run --pipelines rossmann_data,rossmann_model`" in capsys.readouterr().err


def test_make_submission_names_an_unknown_environment(kedro_project: Path, capsys):
    assert main(["--root", str(kedro_project), "submission", "--env", "kagle"]) == 2
    err = capsys.readouterr().err
    assert "no configuration environment" in err and "Traceback" not in err


def test_a_copy_to_a_path_that_cannot_be_written_is_one_paragraph(kedro_project: Path, capsys):
    _save_versions(kedro_project / KAGGLE_SUBMISSION, [pd.DataFrame({"Id": [1]})])
    folder = kedro_project / "a_folder"
    folder.mkdir()
    assert main(["--root", str(kedro_project), "submission", "--to", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot copy the submission ") and f"to {folder}: " in err
    assert "give `--to` a file path you can write" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_every_missing_output_is_a_user_input_error():
    """User mistakes, not bugs: ``kedro run`` and the notebooks print them without a traceback."""
    for error in (OutputNotFoundError, PipelineNotRunError, SubmissionCopyError):
        assert issubclass(error, UserInputError)
    assert issubclass(PipelineNotRunError, OutputNotFoundError)


def _log_models(project: Path, experiment: str, names: list[str]) -> list[str]:
    """Log empty models named ``names`` in the project's store; their ids, in order."""
    client = MlflowClient(tracking_uri=_uri(project))
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    ids = []
    for name in names:
        ids.append(client.create_logged_model(experiment_id, name=name).model_id)
        time.sleep(0.01)  # creation times are in milliseconds
    return ids


def _uri(project: Path) -> str:
    return f"sqlite:///{project / 'mlflow.db'}"


def test_newest_model_across_names_and_experiments(kedro_project: Path):
    names = ["rossmann_pipeline", "rossmann_pipeline_kaggle"]
    synthetic, kaggle = _log_models(kedro_project, "first", names)
    newer, _ = _log_models(kedro_project, "second", ["rossmann_pipeline", "some_other_model"])

    assert newest_model(_uri(kedro_project)).model_id == newer
    assert newest_model(_uri(kedro_project), ["rossmann_pipeline_kaggle"]).model_id == kaggle
    assert synthetic != newer


def test_model_uri_command_prints_the_uri(kedro_project: Path, capsys):
    (model_id,) = _log_models(kedro_project, "l6pipeline", ["rossmann_pipeline_kaggle"])
    assert main(["--root", str(kedro_project), "model-uri"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"models:/{model_id}"
    assert "rossmann_pipeline_kaggle" in captured.err


def test_model_uri_on_an_empty_store_says_what_to_run(kedro_project: Path, capsys):
    assert main(["--root", str(kedro_project), "model-uri"]) == 2
    err = capsys.readouterr().err
    assert "no MLflow model named rossmann_pipeline or rossmann_pipeline_kaggle" in err
    assert "kedro run --pipelines rossmann_data,rossmann_model" in err
    assert "Traceback" not in err


def test_model_uri_without_a_store_creates_none(kedro_project: Path, monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    (kedro_project / "mlflow.db").unlink()
    assert main(["--root", str(kedro_project), "model-uri"]) == 2
    err = capsys.readouterr().err
    assert "there is no MLflow store" in err and "Traceback" not in err
    assert not (kedro_project / "mlflow.db").exists()


class _Catalog:
    def __init__(self, present: set[str]) -> None:
        self.present = present

    def exists(self, name: str) -> bool:
        return name in self.present


def test_require_outputs_names_what_is_missing_and_the_command():
    require_outputs(_Catalog({"a", "b"}), ["a", "b"], "kedro run")  # all there: no error
    with pytest.raises(PipelineNotRunError) as caught:
        require_outputs(_Catalog({"a"}), ["a", "b", "c"], "kedro run --pipelines cnn")
    message = str(caught.value)
    assert "reads b, c," in message and "`kedro run --pipelines cnn`" in message
    # IPython shows _render_traceback_'s lines instead of a traceback: one line here.
    assert caught.value._render_traceback_() == [f"PipelineNotRunError: {message}"]


@pytest.mark.parametrize(
    ("env", "command"),
    [
        (None, "kedro run --pipelines rossmann_data"),
        ("local", "kedro run --pipelines rossmann_data"),
        ("base", "kedro run --pipelines rossmann_data"),
        ("kaggle", "kedro run --env kaggle --pipelines rossmann_data"),
    ],
)
def test_the_command_a_notebook_names_carries_its_environment(env, command):
    assert run_command("rossmann_data", env) == command
