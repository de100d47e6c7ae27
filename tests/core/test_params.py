"""Parameters: unknown keys and out-of-range values are named with their full dotted key."""

from __future__ import annotations

import copy
import inspect
import math
import typing
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kedro.config import OmegaConfigLoader
from kedro.pipeline import Node, Pipeline
from kedro.validation.type_extractor import TypeExtractor

from l6pipeline.core.errors import UserInputError
from l6pipeline.core.nn.training import TrainConfig
from l6pipeline.core.params import (
    ParameterError,
    ParameterErrors,
    Parameters,
    RejectedParameters,
    check_choice,
    check_each,
    check_int,
    check_number,
    check_parameters,
    known_params,
    takes_configs,
)
from l6pipeline.pipeline_registry import parameter_checks
from l6pipeline.rossmann.model.train import ModelConfig
from tests.conftest import PROJECT_ROOT


def test_known_keys_pass_through_as_a_new_dict():
    params = {"epochs": 3}
    checked = known_params(params, ["epochs", "lr"], "training")
    assert checked == params and checked is not params


def test_none_means_no_parameters():
    assert known_params(None, ["epochs"], "training") == {}


def test_every_unknown_key_is_named_with_the_known_ones():
    with pytest.raises(ParameterError) as caught:
        known_params({"lrr": 1, "epochz": 2, "lr": 3}, ["lr", "epochs"], "training")
    assert str(caught.value) == (
        "epochz, lrr: unknown training parameters (a typo?); the known keys are epochs, lr"
    )
    assert isinstance(caught.value, UserInputError) and isinstance(caught.value, ValueError)


def test_within_prefixes_the_dotted_block():
    error = ParameterError("batch_size", "must be an integer >= 1", -1)
    outer = error.within("train").within("cnn.classifier")
    assert str(outer) == "cnn.classifier.train.batch_size = -1: must be an integer >= 1"
    assert outer.value == -1 and outer.keys == ("batch_size",)


# -- value checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check_int("epochs", 0, minimum=1), "epochs = 0: must be an integer >= 1"),
        (lambda: check_int("epochs", 2.5, minimum=1), "epochs = 2.5: must be an integer >= 1"),
        (lambda: check_int("epochs", True, minimum=1), "epochs = True: must be an integer >= 1"),
        (lambda: check_int("epochs", "3", minimum=1), "epochs = '3': must be an integer >= 1"),
        (
            lambda: check_int("n", 0, minimum=1, optional=True),
            "n = 0: must be an integer >= 1 or null",
        ),
        (
            lambda: check_int("week", 54, minimum=1, maximum=53),
            "week = 54: must be an integer >= 1 and <= 53",
        ),
        (lambda: check_number("lr", 0.0, above=0), "lr = 0.0: must be a number > 0"),
        (lambda: check_number("lr", math.inf, above=0), "lr = inf: must be a number > 0"),
        (lambda: check_number("lr", math.nan, above=0), "lr = nan: must be a number > 0"),
        (
            lambda: check_number("lr", "fast", above=0, words=("auto",)),
            "lr = 'fast': must be a number > 0 or 'auto'",
        ),
        (
            lambda: check_number("pct_start", 1, above=0, below=1),
            "pct_start = 1: must be a number > 0 and < 1",
        ),
        (lambda: check_number("wd", -0.1, minimum=0), "wd = -0.1: must be a number >= 0"),
        (
            lambda: check_choice("box", "x", ("ink", "patch")),
            "box = 'x': must be one of 'ink', 'patch'",
        ),
        (
            lambda: check_each(check_number, "ps", [0.1, 1.0], minimum=0, below=1),
            "ps[1] = 1.0: must be a number >= 0 and < 1",
        ),
        (lambda: check_each(check_int, "layers", 5, minimum=1), "layers = 5: must be a list"),
    ],
)
def test_a_value_out_of_range_names_key_value_and_range(call, message):
    with pytest.raises(ParameterError) as caught:
        call()
    assert str(caught.value) == message


def test_values_in_range_pass():
    check_int("epochs", 1, minimum=1)
    check_int("num_threads", None, minimum=1, optional=True)
    check_number("lr", 1e-9, above=0)
    check_number("lr", "auto", above=0, words=("auto",))
    check_number("pct_start", 0.999, above=0, below=1)
    check_each(check_int, "layers", (1000, 500), minimum=1)


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 5) | st.booleans())
def test_check_number_agrees_with_its_definition(value):
    """Accepted exactly when a finite real (not a bool) with 0 <= value < 1."""
    ok = not isinstance(value, bool) and math.isfinite(value) and 0 <= value < 1
    try:
        check_number("p", value, minimum=0, below=1)
    except ParameterError:
        assert not ok
    else:
        assert ok


# -- the typed configs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"batch_size": -1}, "batch_size = -1: must be an integer >= 1"),
        ({"epochs": 0}, "epochs = 0: must be an integer >= 1"),
        ({"lr": -0.01}, "lr = -0.01: must be a number > 0 or 'auto'"),
        ({"lr": "fast"}, "lr = 'fast': must be a number > 0 or 'auto'"),
        ({"wd": -1}, "wd = -1: must be a number >= 0"),
        ({"pct_start": 0}, "pct_start = 0: must be a number > 0 and < 1"),
        ({"num_threads": 0}, "num_threads = 0: must be an integer >= 1 or null"),
    ],
)
def test_train_config_ranges(params, message):
    with pytest.raises(ParameterError) as caught:
        TrainConfig.from_params(params)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"layers": [100, 0]}, "layers[1] = 0: must be an integer >= 1"),
        ({"ps": [0.5, 1.0]}, "ps[1] = 1.0: must be a number >= 0 and < 1"),
        ({"emb_drop": -0.1}, "emb_drop = -0.1: must be a number >= 0 and < 1"),
        ({"emb_sizes": {"Store": 0}}, "emb_sizes.Store = 0: must be an integer >= 1"),
        ({"y_range_scale": 0}, "y_range_scale = 0: must be a number > 0"),
        (
            {"layers": [100, 50, 10]},
            "ps = (0.001, 0.01): must hold one dropout probability per hidden layer (3 layers)",
        ),
    ],
)
def test_tabular_model_config_ranges(params, message):
    with pytest.raises(ParameterError) as caught:
        ModelConfig.from_params(params)
    assert str(caught.value) == message


def test_the_default_configs_are_in_range():
    TrainConfig()
    ModelConfig()


# -- the registry -----------------------------------------------------------------------------

VALIDATORS = {
    "rossmann_model.train": TrainConfig.from_params,
    "rossmann_model.network": ModelConfig.from_params,
    "cnn.classifier.train": TrainConfig.from_params,
    "rossmann_data.event_window_rows": lambda value: check_int("", value, minimum=1),
}
PARAMETERS = {
    "rossmann_model": {
        "cat_vars": ["Store"],
        "network": {"layers": [10], "ps": [0.1]},
        "train": {"epochs": 2, "batch_size": 64},
    },
    "cnn": {"classifier": {"train": {"epochs": 1}, "heatmaps": {"n_correct": 8}}},
    "rossmann_data": {"event_window_rows": 7, "trend_alignment": "google_week"},
}


def _with(path: str, value) -> dict:
    """``PARAMETERS`` with the dotted ``path`` set to ``value`` (a deep copy)."""
    params = copy.deepcopy(PARAMETERS)
    *blocks, key = path.split(".")
    target = params
    for block in blocks:
        target = target[block]
    target[key] = value
    return params


def rejected(parameters: dict, used: list[str]) -> str:
    with pytest.raises(RejectedParameters) as caught:
        check_parameters(parameters, used, VALIDATORS)
    return str(caught.value)


def test_good_parameters_pass():
    check_parameters(PARAMETERS, ["parameters"], VALIDATORS)


def test_an_unknown_key_is_named_with_its_full_dotted_name_and_the_known_keys():
    message = rejected(_with("rossmann_model.train.epochz", 3), ["rossmann_model.train"])
    assert message.startswith("Parameters rejected before the run started (nothing ran): ")
    assert "rossmann_model.train.epochz: unknown training parameters" in message
    assert f"the known keys are {', '.join(sorted(TrainConfig.__dataclass_fields__))}." in message
    assert message.endswith("Fix the value in conf/<env>/parameters_*.yml or in `--params`.")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "rossmann_model.train.batch_size",
            -1,
            "rossmann_model.train.batch_size = -1: must be an integer >= 1",
        ),
        (
            "rossmann_model.network.ps",
            [0.2, 1.5],
            "rossmann_model.network.ps[1] = 1.5: must be a number >= 0 and < 1",
        ),
        (
            "cnn.classifier.train.lr",
            0,
            "cnn.classifier.train.lr = 0: must be a number > 0 or 'auto'",
        ),
        (
            "rossmann_data.event_window_rows",
            0,
            "rossmann_data.event_window_rows = 0: must be an integer >= 1",
        ),
    ],
)
def test_a_value_out_of_range_is_named_by_its_full_dotted_key(path, value, expected):
    assert expected in rejected(_with(path, value), ["parameters"])


@pytest.mark.parametrize(
    ("used", "checked"),
    [
        (["rossmann_model.train"], True),  # the block itself
        (["rossmann_model.train.epochs"], True),  # part of the block
        (["rossmann_model"], True),  # the pipeline's block, which holds it
        (["rossmann_model.trainer"], False),  # another block with a common prefix
        (["rossmann_model.network"], False),  # a block beside it
        (["cnn"], False),
        (["parameters"], True),  # every parameter
    ],
)
def test_only_the_blocks_a_run_reads_are_checked(used, checked):
    bad = _with("rossmann_model.train.batch_size", 0)
    if checked:
        assert "rossmann_model.train.batch_size = 0" in rejected(bad, used)
    else:
        check_parameters(bad, used, VALIDATORS)


def test_a_block_read_from_above_is_checked():
    """A node reading ``params:cnn`` reads ``cnn.classifier.train`` too."""
    assert "cnn.classifier.train.epochs = 0" in rejected(
        _with("cnn.classifier.train.epochs", 0), ["cnn"]
    )


def test_every_bad_block_is_reported_at_once():
    params = _with("rossmann_model.train.wd", -1)
    params["rossmann_model"]["network"]["emb_drop"] = 2
    message = rejected(params, ["parameters"])
    assert "rossmann_model.network.emb_drop = 2" in message
    assert "rossmann_model.train.wd = -1" in message
    assert len(caught_problems(params)) == 2


def caught_problems(params: dict) -> list[ParameterError]:
    with pytest.raises(RejectedParameters) as caught:
        check_parameters(params, ["parameters"], VALIDATORS)
    return caught.value.problems


def test_a_plain_value_error_of_a_config_names_the_block():
    def strict(value):
        raise ValueError(f"label_from must be 'folder' or 'regex', got {value['label_from']!r}")

    with pytest.raises(RejectedParameters) as caught:
        check_parameters({"cnn": {"data": {"label_from": "x"}}}, ["cnn.data"], {"cnn.data": strict})
    assert "cnn.data: label_from must be 'folder' or 'regex', got 'x'" in str(caught.value)


def test_the_pipelines_name_a_typed_config_for_their_blocks():
    """Every checked key exists in conf/base, and the shipped parameters pass."""
    for env in ("base", "kaggle"):
        loader = OmegaConfigLoader(
            str(PROJECT_ROOT / "conf"),
            base_env="base",
            default_run_env=env,
            merge_strategy={"parameters": "soft"},
        )
        parameters = loader["parameters"]
        checks = parameter_checks()
        assert {
            "rossmann_model",
            "rossmann_data",
            "rossmann_predict",
            "rossmann_synthetic",
            "cnn",
            "augmentation",
        } == set(checks)
        for key in checks:
            node = parameters
            for part in key.split("."):
                assert part in node, f"{key} is checked but not in conf ({env})"
                node = node[part]
        check_parameters(parameters, ["parameters"], checks)


@dataclass(frozen=True)
class _Run(Parameters):
    """Two typed blocks and a scalar, with one rule across them."""

    train: TrainConfig
    network: ModelConfig = field(default_factory=lambda: ModelConfig.from_params({}))
    name: str = "run"

    def __post_init__(self) -> None:
        if self.name == "big" and self.train.batch_size < 64:
            raise ParameterError("name", "big runs need train.batch_size >= 64", self.name)


def test_parameters_build_each_block_with_its_config():
    run = _Run.from_params({"train": {"epochs": 2}, "name": "x"})
    assert run.train == TrainConfig.from_params({"epochs": 2})
    assert run.network == ModelConfig.from_params({}) and run.name == "x"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"train": {}, "nam": "x"}, "nam: unknown _Run parameters"),
        ({"train": {"epochs": 0}}, "train.epochs = 0: must be an integer >= 1"),
        ({}, "train: missing"),
        ({"train": {"batch_size": 8}, "name": "big"}, "name = 'big': big runs need"),
    ],
)
def test_parameters_name_the_key_the_value_and_the_rule(params, message):
    with pytest.raises(ParameterError) as caught:
        _Run.from_params(params)
    assert message in str(caught.value)


def test_takes_configs_builds_annotated_configs_from_mappings_and_keeps_typed_ones():
    @takes_configs
    def node(rows: list, train: TrainConfig, name: str) -> tuple:
        return rows, train, name

    built = node([1], {"epochs": 3}, "n")
    assert built == ([1], TrainConfig.from_params({"epochs": 3}), "n")
    typed = TrainConfig.from_params({"epochs": 4})
    assert node([1], train=typed, name="n")[1] is typed
    assert node.__name__ == "node"


def test_kedro_passes_the_mapping_to_a_node_that_takes_configs():
    """Kedro 1.x builds a dataclass-annotated ``params:`` input itself (``cls(**mapping)``, nested
    blocks left as dicts); the wrapper declares the mapping, so ``from_params`` builds it."""

    @takes_configs
    def node(rows: list, network: ModelConfig) -> ModelConfig:
        return network

    pipeline = Pipeline([Node(node, ["rows", "params:network"], "out", name="n")])
    assert TypeExtractor({"p": pipeline}).extract_types_from_pipelines() == {}
    assert typing.get_type_hints(inspect.unwrap(node))["network"] is ModelConfig
    assert node([], {"layers": [10, 5]}) == ModelConfig.from_params({"layers": [10, 5]})


def test_parameters_name_every_problem_of_their_fields_at_once():
    with pytest.raises(ParameterErrors) as caught:
        _Run.from_params({"train": {"epochs": 0}, "network": {"emb_drop": 2}})
    assert [str(problem) for problem in caught.value.problems] == [
        "train.epochs = 0: must be an integer >= 1",
        "network.emb_drop = 2: must be a number >= 0 and < 1",
    ]
    assert str(caught.value) == "; ".join(str(p) for p in caught.value.problems)
    outer = caught.value.within("run")
    assert [problem.keys for problem in outer.problems] == [("epochs",), ("emb_drop",)]
    assert str(outer).startswith("run.train.epochs = 0")
    with pytest.raises(RejectedParameters) as rejected:
        check_parameters(
            {"run": {"train": {"epochs": 0}, "network": {"emb_drop": 2}}},
            ["run"],
            {"run": _Run.from_params},
        )
    assert len(rejected.value.problems) == 2
