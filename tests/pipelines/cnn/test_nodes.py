"""The cnn nodes called directly, and slices of the pipeline on an in-memory catalog.

Kedro's spaceflights starter tests its nodes this way: no session, no conf, no files; the
parameters are conf/base's with the sizes shrunk.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from l6pipeline.core.params import ParameterError, RejectedParameters, check_parameters
from l6pipeline.pipeline_registry import parameter_checks
from l6pipeline.pipelines.cnn import create_pipeline, nodes
from l6pipeline.vision.cnn.classifier import TrainedModel
from tests.conftest import PROJECT_ROOT

TRAIN = {"epochs": 1, "batch_size": 32, "progress": False, "device": "cpu", "num_threads": 1}


@pytest.fixture(scope="module")
def params() -> dict:
    """conf/base's cnn parameters, sized for seconds."""
    p = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_cnn.yml").read_text())["cnn"]
    p["data"]["max_images"] = 300
    p["kernels"].update(photo_max_side=64, small_photo_max_side=32, padding=2)
    p["classifier"]["model"].update(widths=[4, 8], strides=[2, 2])
    p["classifier"]["train"].update(TRAIN)
    p["classifier"]["heatmaps"].update(n_correct=4, n_wrong=4)
    p["localization"].update(canvas=40, n_show=3)
    p["localization"]["model"].update(widths=[4, 8], strides=[2, 1])
    p["localization"]["train"].update(TRAIN)
    return p


@pytest.fixture(scope="module")
def splits(params):
    return nodes.split_images(nodes.load_images(params["data"]), params["data"])


def _params(prefix: str, params: dict) -> dict[str, MemoryDataset]:
    """A ``params:`` dataset for every block and sub-block, as Kedro's catalog has."""
    datasets = {}
    for key, value in params.items():
        datasets[f"{prefix}.{key}"] = MemoryDataset(value)
        if isinstance(value, dict):
            datasets.update(_params(f"{prefix}.{key}", value))
    return datasets


def _catalog(params: dict, **data) -> DataCatalog:
    datasets = _params("params:cnn", params)
    datasets.update({k: MemoryDataset(v, copy_mode="assign") for k, v in data.items()})
    return DataCatalog(datasets)


def test_load_and_split_keep_the_class_balance(params, splits):
    train, valid, test = splits
    assert (len(train), len(valid), len(test)) == (240, 30, 30)
    assert torch.bincount(train.labels).tolist() == [24] * 10
    assert torch.bincount(test.labels).tolist() == [3] * 10
    with pytest.raises(
        ParameterError, match="^source = 'pets': must be one of 'mnist', 'image_folder'$"
    ):
        nodes.load_images({**params["data"], "source": "pets"})
    with pytest.raises(
        ParameterError,
        match="^path = None: must be set \\(a folder of images\\) when source is image_folder$",
    ):
        nodes.load_images({**params["data"], "source": "image_folder"})
    with pytest.raises(
        ParameterError,
        match=r"max_image: unknown cnn.data parameters \(a typo\?\); the known keys are max_images",
    ):
        nodes.load_images({**params["data"], "max_image": 10})


def _rejected(cnn: dict, used: str) -> RejectedParameters:
    """What the run-start check says of the ``cnn`` block when a run reads ``used``."""
    with pytest.raises(RejectedParameters) as caught:
        check_parameters({"cnn": cnn}, [used], parameter_checks())
    return caught.value


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"source": "pets"},
            "cnn.data.source = 'pets': must be one of 'mnist', 'image_folder'",
        ),
        (
            {"source": "image_folder"},
            "cnn.data.path = None: must be set (a folder of images) when source is image_folder",
        ),
        (
            {"max_image": 10},
            "cnn.data.max_image: unknown cnn.data parameters (a typo?); the known keys are",
        ),
    ],
)
def test_the_run_start_check_names_the_full_key(params, data, message):
    rejected = _rejected({**params, "data": {**params["data"], **data}}, "cnn.data")
    assert message in str(rejected)


@pytest.mark.parametrize("fractions", [[0.7, 0.2, 0.2], [0.5, 0.5], [0.8, 0.2, 0.0], 0.8])
def test_split_fractions_are_checked_before_the_first_node(params, fractions):
    """Three numbers in (0, 1) that sum to 1: anything else is named with the rule, up front."""
    rejected = _rejected(
        {**params, "data": {**params["data"], "split_fractions": fractions}}, "cnn"
    )
    assert [str(problem) for problem in rejected.problems] == [
        f"cnn.data.split_fractions = {fractions!r}: must be three numbers (train, valid, test), "
        "each > 0 and < 1, that sum to 1"
    ]


def test_every_problem_of_the_cnn_block_is_named_at_once(params):
    cnn = {
        **params,
        "data": {**params["data"], "split_fractions": [0.5, 0.5]},
        "classifier": {**params["classifier"], "heatmaps": {"n_correct": -1, "n_wrong": 8}},
        "localization": {**params["localization"], "canvass": 32},
    }
    problems = [str(problem) for problem in _rejected(cnn, "cnn").problems]
    assert len(problems) == 3
    for problem, start in zip(
        problems,
        [
            "cnn.data.split_fractions = [0.5, 0.5]: must be three numbers",
            "cnn.classifier.heatmaps.n_correct = -1: must be an integer >= 0",
            "cnn.localization.canvass: unknown localization parameters (a typo?)",
        ],
        strict=True,
    ):
        assert problem.startswith(start)


def test_localization_keys_are_never_dropped(params, splits):
    """A typo among the canvas / pointing-game keys is named, not silently left at its default."""
    train, valid, test = splits
    with pytest.raises(
        ParameterError, match=r"^canvass: unknown localization parameters \(a typo\?\)"
    ):
        nodes.localization_sets(train, valid, test, {**params["localization"], "canvass": 32})
    with pytest.raises(
        ParameterError, match=r"^target = 'box': must be one of 'label', 'predicted'$"
    ):
        nodes.localization_sets(train, valid, test, {**params["localization"], "target": "box"})


def test_spreadsheet_node_checks_the_four_methods(params, splits):
    test = splits[2]
    figures = nodes.spreadsheet_figures(test, params["spreadsheet"])
    assert set(figures) == {"spreadsheet.png", "conv_as_matrix.png"}
    shown = np.asarray(figures["spreadsheet.png"].axes[0].images[0].get_array())
    np.testing.assert_allclose(shown, test.images[0, 0].numpy(), atol=1e-6)  # image_index 0
    with pytest.raises(AssertionError, match=r"the convolution methods disagree by .* \(> 0\.0\)"):
        nodes.spreadsheet_figures(test, {**params["spreadsheet"], "tolerance": 0.0})
    with pytest.raises(ParameterError, match=r"^tolerance = -1.0: must be a number >= 0$"):
        nodes.spreadsheet_figures(test, {**params["spreadsheet"], "tolerance": -1.0})


def test_kernel_node_draws_the_photo_at_the_asked_sizes(params, splits):
    figures = nodes.kernel_figures(splits[2], params["kernels"])
    assert len(figures) == 5
    photo = np.asarray(figures["kernels_photo.png"].axes[0].images[0].get_array())
    assert max(photo.shape[:2]) == 64 and photo.shape[2] == 3  # Chelsea, shrunk
    assert figures["stride.png"].axes[0].get_title() == "input 21x32"  # small photo: 32 wide


def test_train_to_summary_slice_on_an_in_memory_catalog(params, splits):
    pipe = create_pipeline().from_nodes("cnn_train_classifier", "cnn_localization_sets")
    pipe = pipe.to_nodes("cnn_summary")
    assert {n.name for n in pipe.nodes} == {
        "cnn_train_classifier",
        "cnn_evaluate_classifier",
        "cnn_localization_sets",
        "cnn_train_localizer",
        "cnn_pointing_game",
        "cnn_summary",
    }
    train, valid, test = splits
    catalog = _catalog(params, cnn_train_images=train, cnn_valid_images=valid, cnn_test_images=test)
    SequentialRunner().run(pipe, catalog)
    summary = catalog.load("cnn_metrics")
    assert summary["classifier"]["test_size"] == 30.0
    assert 0 <= summary["classifier"]["test_accuracy"] <= 1
    assert set(summary["pointing_game"]) == {"channel_mean", "grad_cam", "chance"}
    # intermediate datasets are released once used: the canvases again, from their seed
    *_, canvases = nodes.localization_sets(train, valid, test, params["localization"])
    assert canvases.images.shape == (30, 1, 40, 40)
    boxes = canvases.boxes.float()
    area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).mean() / 40**2
    assert summary["pointing_game"]["chance"] == pytest.approx(float(area))
    assert 0 <= summary["localizer"]["final_valid_accuracy"] <= 1
    figures = catalog.load("cnn_localization_figures")
    grid = figures["pointing_game.png"]
    assert len(grid.axes) == 3 * params["localization"]["n_show"]  # image, 2 heatmaps per canvas


def test_heatmap_node_shows_correct_and_top_loss_predictions(params, splits):
    train, valid, test = splits
    trained = nodes.train_cnn(train, valid, params["classifier"])
    classifier = params["classifier"]
    figures = nodes.heatmap_figures(trained, test, classifier["train"], classifier["heatmaps"])
    assert set(figures) <= {"heatmaps_correct.png", "heatmaps_wrong.png"} and figures
    for name, fig in figures.items():
        n = len(fig.axes) // 3
        assert 1 <= n <= 4
        titles = [ax.get_title() for ax in fig.axes[:n]]
        right = [t.split(" (")[0].split(" -> ") for t in titles]
        assert all((a == b) == (name == "heatmaps_correct.png") for a, b in right)
    checkpoint = nodes.save_cnn(trained, test)  # no MLflow run: only the checkpoint
    rebuilt = TrainedModel.from_checkpoint(checkpoint)
    assert rebuilt.classes == train.classes
    assert torch.equal(rebuilt.model.head.weight, trained.model.head.weight)


def test_a_split_that_leaves_a_part_empty_names_the_parameter(params, splits):
    train, _, _ = splits
    with pytest.raises(
        ParameterError,
        match=r"^cnn.data.split_fractions = \[0.98, 0.01, 0.01\]: leaves an empty part of 240 "
        r"images \(\d+/0/0 train/valid/test\): give each part a larger fraction, or more images$",
    ):
        nodes.split_images(train, {**params["data"], "split_fractions": [0.98, 0.01, 0.01]})
