"""The augmentation nodes called directly, and a slice of the pipeline on an in-memory catalog.

Kedro's spaceflights starter tests its nodes this way: no session, no conf, no files; the
parameters are conf/base's with the sizes shrunk.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from l6pipeline.core.params import ParameterError, RejectedParameters, check_parameters
from l6pipeline.pipeline_registry import parameter_checks
from l6pipeline.pipelines.augmentation import create_pipeline, nodes
from l6pipeline.pipelines.augmentation.parameters import AugmentationParameters
from l6pipeline.vision.augmentation.augment import TRANSFORMS
from l6pipeline.vision.augmentation.geometric import WARP_PADDING_MODES
from l6pipeline.vision.augmentation.study_config import grid_configs
from tests.conftest import PROJECT_ROOT

TRAIN = {"epochs": 2, "batch_size": 16, "lr": 0.01, "seed": 0, "device": "cpu", "progress": False}
LOCAL = {"engine": "local", "address": None, "num_cpus": None}


@pytest.fixture(scope="module")
def params() -> dict:
    """conf/base's augmentation parameters, sized for seconds."""
    text = (PROJECT_ROOT / "conf" / "base" / "parameters_augmentation.yml").read_text()
    p = yaml.safe_load(text)["augmentation"]
    p["digits"].update(n_train=60, n_valid=40)
    p["galleries"].update(photo_size=32, n=4, padding_rows=2)
    p["model"]["widths"] = [4, 8]
    p["experiment"]["train"] = TRAIN
    p["study"].update(grid="custom", custom_grid={"wd": [0.0, 0.1], "augment": [False, True]})
    p["study"]["train"] = TRAIN
    return p


@pytest.fixture(scope="module")
def digits(params):
    return nodes.split_digits(params["digits"])


def test_split_digits_is_balanced_and_sized(digits):
    train, valid = digits
    assert (len(train), len(valid)) == (60, 40)
    assert torch.bincount(train.labels).tolist() == [6] * 10
    assert torch.bincount(valid.labels).tolist() == [4] * 10


def test_photo_galleries_show_the_photo_at_the_asked_size(params):
    figures = nodes.photo_galleries(params["transforms"], params["galleries"])
    assert set(figures) == {f"{n}.png" for n in (*TRANSFORMS, "all", "padding_modes")}
    shown = [ax for ax in figures["rotate.png"].axes if ax.images]
    assert len(shown) == params["galleries"]["n"]
    assert all(np.asarray(ax.images[0].get_array()).shape == (32, 32, 3) for ax in shown)
    padding = [ax for ax in figures["padding_modes.png"].axes if ax.images]
    assert len(padding) == params["galleries"]["padding_rows"] * len(WARP_PADDING_MODES)


def test_digit_galleries_show_a_training_digit_of_the_class_without_flip(params, digits):
    train, _ = digits
    figures = nodes.digit_galleries(
        train, params["transforms"], params["digits"], params["galleries"]
    )
    assert "no flip" in figures["all.png"]._suptitle.get_text()
    three = train.images[train.labels == train.classes.index("3")][0]
    identity = [ax for ax in figures["flip.png"].axes if ax.images]
    # the flip gallery holds the digit itself or its mirror, nothing else
    for ax in identity:
        shown = np.asarray(ax.images[0].get_array())
        assert np.allclose(shown, three[0].numpy()) or np.allclose(shown, three[0].flip(-1).numpy())


def test_experiment_node_reports_without_with_and_the_difference(params, digits):
    table, figure = nodes.run_augmentation_experiment(
        *digits,
        params["transforms"],
        params["digits"],
        params["model"],
        params["experiment"],
        LOCAL,
    )
    assert table["label"].tolist() == ["without", "with", "with - without"]
    acc = table.set_index("label")["valid_accuracy"]
    assert acc["with - without"] == pytest.approx(acc["with"] - acc["without"])
    assert [ax.get_title() for ax in figure.axes] == ["validation accuracy", "loss (train: dashed)"]
    assert [line.get_label() for line in figure.axes[0].lines] == ["without", "with"]


def test_the_study_slice_runs_on_an_in_memory_catalog(params):
    pipe = (
        create_pipeline()
        .from_nodes("augmentation_split_digits")
        .to_nodes("augmentation_regularization_study")
    )
    assert {n.name for n in pipe.nodes} == {
        "augmentation_split_digits",
        "augmentation_regularization_study",
    }
    catalog = DataCatalog({f"params:augmentation.{k}": MemoryDataset(v) for k, v in params.items()})
    SequentialRunner().run(pipe, catalog)
    table = catalog.load("augmentation_study_table")
    configs = grid_configs(params["study"]["custom_grid"])
    assert table["label"].tolist() == [c.name for c in configs]
    assert (table["epochs"] == TRAIN["epochs"]).all()
    figure = catalog.load("augmentation_study_losses")
    panels = [ax for ax in figure.axes if ax.lines]
    assert len(panels) == len(configs)
    assert [ax.get_title().split("\n")[0] for ax in panels] == [c.name for c in configs]


def test_the_executor_parameter_is_checked_before_training(params, digits):
    with pytest.raises(ParameterError, match="^engine = 'spark': must be one of 'local', 'ray'$"):
        nodes.run_regularization_study(
            *digits,
            params["transforms"],
            params["digits"],
            params["model"],
            params["study"],
            {"engine": "spark"},
        )
    assert "augmentation.executor.engine = 'spark': must be one of 'local', 'ray'" in rejected(
        {**params, "executor": {"engine": "spark"}}, "augmentation.executor"
    )


def rejected(augmentation: dict, used: str) -> str:
    """What the run-start check says of the ``augmentation`` block when a run reads ``used``."""
    with pytest.raises(RejectedParameters) as caught:
        check_parameters({"augmentation": augmentation}, [used], parameter_checks())
    return str(caught.value)


@pytest.mark.parametrize(
    ("block", "value", "message"),
    [
        (
            "study",
            {"grid": "custom", "custom_grid": {"p_dropout": [0.0, 1.5]}},
            "augmentation.study.custom_grid.p_dropout[1] = 1.5: must be a number >= 0 and <= 1",
        ),
        (
            "study",
            {"grid": "custom", "custom_grid": {"lr": [0.1]}},
            "augmentation.study.custom_grid.lr: unknown grid parameters (a typo?)",
        ),
        (
            "study",
            {"grid": "huge"},
            "augmentation.study.grid = 'huge': must be one of 'small', 'full', 'custom'",
        ),
        (
            "digits",
            {"n_train": 4500, "n_valid": 1000},
            "augmentation.digits.n_train, augmentation.digits.n_valid = [4500, 1000]: must sum "
            "to at most 5000",
        ),
        (
            "digits",
            {"transforms": {"do_flp": False}},
            "augmentation.digits.transforms.do_flp: unknown augmentation parameters (a typo?)",
        ),
        (
            "experiment",
            {"config": {"p_dropout": 2}},
            "augmentation.experiment.config.p_dropout = 2: must be a number >= 0 and <= 1",
        ),
        (
            "galleries",
            {"digit_class": 12},
            "augmentation.galleries.digit_class = 12: must be a digit from 0 to 9",
        ),
        ("model", {"widths": []}, "augmentation.model.widths = []: must list at least one"),
        (
            "transforms",
            {"max_zoom": 0.9},
            "augmentation.transforms.max_zoom = 0.9: must be a number >= 1",
        ),
    ],
)
def test_each_block_is_checked_before_the_first_node(params, block, value, message):
    assert message in rejected({**params, block: {**params[block], **value}}, "augmentation")


def test_every_problem_of_the_augmentation_block_is_named_at_once(params):
    bad = {**params, "model": {"widths": [0]}, "study": {**params["study"], "grid": "huge"}}
    message = rejected(bad, "augmentation")
    assert "augmentation.model.widths[0] = 0: must be an integer >= 1" in message
    assert "augmentation.study.grid = 'huge'" in message


def test_the_shipped_parameters_build_the_typed_blocks(params):
    typed = AugmentationParameters.from_params(params)
    assert typed.digits.transforms.applied_to(typed.transforms).do_flip is False
    assert typed.study.configs() == grid_configs(params["study"]["custom_grid"])
    assert typed.experiment.base.augment is False


@pytest.mark.parametrize(
    ("env", "expected"),
    [(None, LOCAL), ("ray", {"engine": "ray", "address": None, "num_cpus": 2})],
)
def test_the_ray_env_switches_the_executor_and_nothing_else(env, expected):
    bootstrap_project(PROJECT_ROOT)
    loaded = {}
    for name in (None, env):
        with KedroSession.create(project_path=PROJECT_ROOT, env=name) as session:
            loaded[name] = session.load_context().params
    assert loaded[env]["augmentation"]["executor"] == expected
    for params in loaded.values():
        params["augmentation"].pop("executor")
    assert loaded[env] == loaded[None]
