"""The ``cnn`` pipeline: its shape, its catalog, and small end-to-end ``kedro run``s."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from mlflow.tracking import MlflowClient
from PIL import Image

from l6pipeline.pipelines.cnn import create_pipeline
from l6pipeline.vision.cnn.classifier import TrainedModel
from tests.conftest import PROJECT_ROOT, run_kedro

FIGURES = {
    "spreadsheet": {"spreadsheet.png", "conv_as_matrix.png"},
    "kernel": {
        "kernels_photo.png",
        "kernels_digit.png",
        "padding_modes.png",
        "stride.png",
        "average_pooling.png",
    },
    "heatmap": {"heatmaps_correct.png", "heatmaps_wrong.png"},
    "localization": {"pointing_game.png", "grad_cam_misses.png"},
}
REPORTING = {f"cnn_{group}_figures" for group in FIGURES} | {"cnn_training_curves", "cnn_metrics"}


def _train(epochs: int = 1, widths=(8, 16)) -> dict:
    return {
        "model": {"widths": list(widths), "strides": [2] * len(widths)},
        "train": {"epochs": epochs, "batch_size": 64, "progress": False, "device": "cpu"},
    }


# Seconds, not a minute: 600 digits, one epoch each, narrow models, a 48-pixel canvas.
TINY = {
    "cnn": {
        "data": {"max_images": 600},
        "kernels": {"photo_max_side": 64, "small_photo_max_side": 32, "padding": 2},
        "classifier": _train(),
        "localization": {**_train(), "canvas": 48, "n_show": 4},
    }
}


def _client(project: Path) -> tuple[MlflowClient, object]:
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    experiment_id = client.get_experiment_by_name("l6pipeline").experiment_id
    (run,) = client.search_runs([experiment_id])
    return client, run


def test_pipeline_nodes_and_outputs():
    pipe = create_pipeline()
    names = {n.name for n in pipe.nodes}
    assert all(name.startswith("cnn_") for name in names)
    assert {"cnn_train_classifier", "cnn_heatmaps", "cnn_pointing_game", "cnn_spreadsheet"} <= names
    assert REPORTING | {"cnn_classifier_checkpoint", "cnn_localizer_checkpoint"} <= pipe.outputs()
    assert all(i.startswith("params:cnn.") for i in pipe.inputs())


def test_outputs_are_catalog_entries_logged_to_mlflow():
    bootstrap_project(PROJECT_ROOT)
    with KedroSession.create(project_path=PROJECT_ROOT) as session:
        catalog = session.load_context().catalog
    for name in REPORTING:
        dataset = catalog.get(name)
        assert dataset.metadata["kedro-viz"]["layer"] == "reporting", name
        assert type(dataset).__name__.startswith("Mlflow"), name  # logged as an artifact
    for name in ("cnn_classifier_checkpoint", "cnn_localizer_checkpoint"):
        dataset = catalog.get(name)
        assert dataset.metadata["kedro-viz"]["layer"] == "models"
        assert dataset._version is not None  # versioned: every run keeps its weights


def test_default_parameters():
    bootstrap_project(PROJECT_ROOT)
    with KedroSession.create(project_path=PROJECT_ROOT) as session:
        params = session.load_context().params["cnn"]
    assert params["data"]["source"] == "mnist"
    assert params["data"]["split_fractions"] == [0.8, 0.1, 0.1]
    assert params["classifier"]["train"]["num_threads"] == 1  # same model on any machine
    assert params["localization"]["canvas"] == 64
    assert params["localization"]["box"] == "ink"


@pytest.mark.slow
def test_kedro_run_on_the_default_digits(kedro_project: Path):
    run_kedro(kedro_project, ["cnn"], params=TINY)

    reporting = kedro_project / "data" / "08_reporting" / "cnn"
    for group, files in FIGURES.items():
        assert {p.name for p in (reporting / group).iterdir()} == files, group
    assert (reporting / "training_curves.png").stat().st_size > 0
    metrics = json.loads((reporting / "metrics.json").read_text())
    assert metrics["classifier"]["test_size"] == 60
    assert 0 <= metrics["pointing_game"]["grad_cam"] <= 1
    chance = metrics["pointing_game"]["chance"]
    assert 0.02 < chance < 0.5

    (version,) = (kedro_project / "data" / "06_models" / "cnn" / "classifier.pkl").iterdir()
    checkpoint = pickle.loads((version / "classifier.pkl").read_bytes())
    model = TrainedModel.from_checkpoint(checkpoint)
    assert model.classes == tuple("0123456789")

    client, run = _client(kedro_project)
    assert run.info.status == "FINISHED"
    assert run.data.params["cnn.data.source"] == "mnist"
    for key in (
        "cnn.classifier.test_accuracy",
        "cnn.localizer.test_accuracy",
        "cnn.pointing_game.grad_cam",
        "cnn.pointing_game.channel_mean",
        "cnn.pointing_game.chance",
        "cnn.spreadsheet.max_abs_diff_matrix",
    ):
        assert key in run.data.metrics, key
    assert run.data.metrics["cnn.spreadsheet.max_abs_diff_loops"] < 1e-4
    for prefix in ("cnn.classifier.", "cnn.localizer."):
        history = client.get_metric_history(run.info.run_id, f"{prefix}valid_loss")
        assert [m.step for m in history] == [0]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "cnn")}
    assert {f"cnn/{group}" for group in FIGURES} | {
        "cnn/metrics.json",
        "cnn/training_curves.png",
    } <= artifacts
    for group, files in FIGURES.items():
        logged = {
            a.path.rsplit("/", 1)[-1]
            for a in client.list_artifacts(run.info.run_id, f"cnn/{group}")
        }
        assert logged == files, group
    (logged_model,) = client.search_logged_models([run.info.experiment_id])
    assert logged_model.name == "cnn_model"
    assert logged_model.source_run_id == run.info.run_id


def _pets_folder(root: Path) -> Path:
    """Pets-style names, labels in the file name: 3 breeds x 8 colour images of 20x30."""
    rng = np.random.default_rng(0)
    for b, breed in enumerate(("Abyssinian", "Bengal", "great_pyrenees")):
        folder = root / ("dogs" if breed.islower() else "cats")
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(8):
            array = (rng.random((30, 20, 3)) * 60 + 60 * b).astype(np.uint8)
            Image.fromarray(array).save(folder / f"{breed}_{n + 1}.jpg")
    return root


@pytest.mark.slow
def test_kedro_run_on_an_image_folder_via_parameters(kedro_project: Path, tmp_path: Path):
    root = _pets_folder(tmp_path / "pets")
    data = {
        "source": "image_folder",
        "path": str(root),
        "label_from": "regex",
        "regex": r"([^/]+)_\d+.jpg$",
        "size": 24,
        "channels": 3,
        "split_fractions": [0.5, 0.25, 0.25],
    }
    params = {"cnn": {**TINY["cnn"], "data": data}}
    params["cnn"]["localization"] = {**TINY["cnn"]["localization"], "object_size": 16, "canvas": 32}
    run_kedro(kedro_project, ["cnn"], params=params)

    metrics = json.loads((kedro_project / "data/08_reporting/cnn/metrics.json").read_text())
    assert metrics["classifier"]["test_size"] == 6
    (version,) = (kedro_project / "data" / "06_models" / "cnn" / "classifier.pkl").iterdir()
    checkpoint = pickle.loads((version / "classifier.pkl").read_bytes())
    assert checkpoint["classes"] == ["Abyssinian", "Bengal", "great_pyrenees"]
    assert checkpoint["in_channels"] == 3
    _, run = _client(kedro_project)
    assert run.data.params["cnn.data.source"] == "image_folder"


@pytest.mark.slow
@pytest.mark.realimages
def test_kedro_run_on_mnist_tiny(kedro_project: Path, real_images: Path):
    data = {
        "source": "image_folder",
        "path": str(real_images / "mnist_tiny"),
        "pattern": "*/*/*.png",
    }
    run_kedro(kedro_project, ["cnn"], params={"cnn": {**TINY["cnn"], "data": data}})
    metrics = json.loads((kedro_project / "data/08_reporting/cnn/metrics.json").read_text())
    assert metrics["classifier"]["test_accuracy"] > 0.5
