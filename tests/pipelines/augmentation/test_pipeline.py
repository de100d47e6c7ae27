"""The ``augmentation`` pipeline: its shape, its catalog, and a small end-to-end ``kedro run``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from mlflow.tracking import MlflowClient

from l6pipeline.pipelines.augmentation import create_pipeline
from tests.conftest import PROJECT_ROOT, run_kedro

OUTPUTS = {
    "augmentation_photo_galleries",
    "augmentation_digit_galleries",
    "augmentation_experiment_table",
    "augmentation_experiment_curves",
    "augmentation_study_table",
    "augmentation_study_losses",
}
GALLERY_FILES = {
    "flip.png",
    "warp.png",
    "rotate.png",
    "zoom.png",
    "brightness.png",
    "contrast.png",
    "all.png",
    "padding_modes.png",
}

# Small enough for seconds: 2 epochs, 100 digits, a 2-configuration grid.
TINY_PARAMS = {
    "augmentation": {
        "galleries": {"photo_size": 48, "n": 4, "padding_rows": 2},
        "digits": {"n_train": 100, "n_valid": 100},
        "model": {"widths": [8, 16]},
        "experiment": {"train": {"epochs": 2, "batch_size": 32, "device": "cpu"}},
        "study": {
            "grid": "custom",
            "custom_grid": {
                "wd": [0.0],
                "p_dropout": [0.0],
                "batch_norm": [True, False],
                "augment": [True],
            },
            "train": {"epochs": 2, "batch_size": 32, "device": "cpu"},
        },
    }
}


def test_pipeline_nodes_and_outputs():
    pipe = create_pipeline()
    assert {n.name for n in pipe.nodes} == {
        "augmentation_split_digits",
        "augmentation_photo_galleries",
        "augmentation_digit_galleries",
        "augmentation_experiment",
        "augmentation_regularization_study",
    }
    assert OUTPUTS <= pipe.outputs()
    assert all(i.startswith("params:augmentation.") for i in pipe.inputs())


def test_every_output_is_a_catalog_entry_in_the_reporting_layer():
    bootstrap_project(PROJECT_ROOT)
    with KedroSession.create(project_path=PROJECT_ROOT) as session:
        catalog = session.load_context().catalog
    for name in OUTPUTS:
        dataset = catalog.get(name)
        assert dataset is not None, name
        assert dataset.metadata["kedro-viz"]["layer"] == "reporting", name
        assert type(dataset).__name__.startswith("Mlflow"), name  # logged as an artifact


def test_default_parameters_match_the_issue():
    bootstrap_project(PROJECT_ROOT)
    with KedroSession.create(project_path=PROJECT_ROOT) as session:
        params = session.load_context().params["augmentation"]
    t = params["transforms"]
    assert (t["max_rotate"], t["max_zoom"], t["max_warp"], t["max_lighting"]) == (
        20.0,
        1.3,
        0.4,
        0.4,
    )
    assert (t["p_affine"], t["p_lighting"], t["do_flip"]) == (1.0, 1.0, True)
    assert params["digits"]["transforms"]["do_flip"] is False  # no mirrored digits
    assert params["digits"]["n_train"] == 500
    assert params["study"]["grid"] == "small"


@pytest.mark.slow
def test_kedro_run_writes_figures_tables_and_child_runs(kedro_project: Path):
    run_kedro(kedro_project, ["augmentation"], params=TINY_PARAMS)

    reporting = kedro_project / "data" / "08_reporting" / "augmentation"
    for source in ("photo", "digit"):
        assert {p.name for p in (reporting / f"{source}_galleries").iterdir()} == GALLERY_FILES
    experiment = pd.read_csv(reporting / "experiment.csv")
    assert experiment["label"].tolist() == ["without", "with", "with - without"]
    diff = experiment.set_index("label")["valid_accuracy"]
    assert diff["with - without"] == pytest.approx(diff["with"] - diff["without"])
    study = pd.read_csv(reporting / "study.csv")
    assert len(study) == 2 and set(study["batch_norm"]) == {True, False}
    assert (reporting / "study_losses.png").stat().st_size > 0
    assert (reporting / "experiment_curves.png").stat().st_size > 0

    client = MlflowClient(f"sqlite:///{kedro_project / 'mlflow.db'}")
    experiment_id = client.get_experiment_by_name("l6pipeline").experiment_id
    runs = client.search_runs([experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1
    parent = parents[0]
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    groups = sorted(c.data.tags["l6pipeline.group"] for c in children)
    assert groups == ["experiment", "experiment", "study", "study"]
    for child in children:
        assert {"wd", "p_dropout", "batch_norm", "augment", "epochs"} <= set(child.data.params)
        assert "valid_accuracy" in child.data.metrics
        history = client.get_metric_history(child.info.run_id, "valid_loss")
        assert [m.step for m in history] == [0, 1]
    assert "augmentation.experiment.valid_accuracy_difference" in parent.data.metrics

    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "augmentation")}
    assert {
        "augmentation/photo_galleries",
        "augmentation/digit_galleries",
        "augmentation/experiment.csv",
        "augmentation/experiment_curves.png",
        "augmentation/study.csv",
        "augmentation/study_losses.png",
    } <= artifacts
    photo = {
        a.path.rsplit("/", 1)[-1]
        for a in client.list_artifacts(parent.info.run_id, "augmentation/photo_galleries")
    }
    assert photo == GALLERY_FILES
