"""The typed ``rossmann_model`` parameters: every block built by its config, and the rules across
blocks checked before the first node, each named by its full dotted key."""

from __future__ import annotations

import pytest

from l6pipeline.core.nn import TrainConfig
from l6pipeline.core.params import RejectedParameters, check_parameters
from l6pipeline.pipelines.rossmann_model.parameters import PARAMETERS, RossmannModelParameters
from l6pipeline.rossmann.model.lightgbm import LightGBMConfig
from l6pipeline.rossmann.model.report import ReportConfig
from tests.conftest import base_parameters


def rejected(model: dict) -> str:
    """The run-start message for ``rossmann_model: model``."""
    with pytest.raises(RejectedParameters) as caught:
        check_parameters({"rossmann_model": model}, ["rossmann_model.train"], PARAMETERS)
    assert len(caught.value.problems) == 1
    return str(caught.value)


def test_the_base_parameters_build_every_block():
    params = RossmannModelParameters.from_params(base_parameters("rossmann_model"))
    assert params.train == TrainConfig.from_params(base_parameters("rossmann_model")["train"])
    assert isinstance(params.lightgbm, LightGBMConfig) and isinstance(params.report, ReportConfig)
    assert params.cat_vars[0] == "Store" and isinstance(params.cont_vars, tuple)
    assert params.refit is True


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "train.monitor",
            "rmspe",
            "rossmann_model.train.monitor = 'rmspe': the Rossmann model keeps the epoch chosen "
            "on the tuning window",
        ),
        ("train.patience", 2, "rossmann_model.train.patience = 2: the Rossmann model keeps"),
        (
            "lightgbm.categorical",
            ["Store", "Promo"],
            "rossmann_model.lightgbm.categorical = ['Store', 'Promo']: names variables that are "
            "not categorical inputs of the model: ['Promo']",
        ),
        (
            "cont_vars",
            ["Promo", "Store"],
            "rossmann_model.cat_vars, rossmann_model.cont_vars = ['Store']: both name these "
            "variables",
        ),
        (
            "network.emb_sizes",
            {"Store": 10, "Promo": 2},
            "rossmann_model.network.emb_sizes = ['Promo']: names variables that are not "
            "categorical inputs",
        ),
        ("cat_vars", ["Store", ""], "rossmann_model.cat_vars[1] = '': must be a non-empty name"),
        ("cont_vars", "Promo", "rossmann_model.cont_vars = 'Promo': must be a list"),
        ("refit", "yes", "rossmann_model.refit = 'yes': must be one of True, False"),
        ("report.worst_stores", -2, "rossmann_model.report.worst_stores = -2: must be"),
        ("network.ps", [0.1], "rossmann_model.network.ps = [0.1]: must hold one dropout"),
    ],
)
def test_a_rule_is_named_by_its_full_dotted_key_before_the_run(path, value, expected):
    model = base_parameters("rossmann_model")
    *blocks, key = path.split(".")
    target = model
    for block in blocks:
        target = target[block]
    target[key] = value
    assert expected in rejected(model)


def test_an_embedding_width_may_name_a_continuous_variables_missing_value_flag():
    model = base_parameters("rossmann_model")
    model["network"]["emb_sizes"] = {"Store": 10, "CompetitionDistance_na": 2}
    assert RossmannModelParameters.from_params(model).network.emb_sizes["Store"] == 10


def test_every_block_is_required():
    model = base_parameters("rossmann_model")
    del model["lightgbm"], model["refit"]
    assert "rossmann_model.refit, rossmann_model.lightgbm: missing" in rejected(model)


def test_a_leftover_old_block_name_is_a_typo():
    model = base_parameters("rossmann_model")
    model["baseline"] = model.pop("lightgbm")
    assert "rossmann_model.baseline: unknown rossmann_model parameters" in rejected(model)
