"""``--params`` overrides of one nested key keep the other keys, in every environment.

Kedro merges runtime parameters into each environment's parameters before it merges the
environments; with its default ("destructive") merge, an environment with a parameters file
(``kaggle``) then replaced a whole top-level block with the one overridden key. The project sets
``merge_strategy: {parameters: soft}`` (settings.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from l6pipeline.settings import CONFIG_LOADER_ARGS


def parameters(project: Path, env: str | None, runtime_params: dict) -> dict:
    """The parameters a `kedro run --env ENV --params ...` in ``project`` would use."""
    bootstrap_project(project)
    with KedroSession.create(
        project_path=project, env=env, runtime_params=runtime_params
    ) as session:
        return session.load_context().params


def test_parameters_merge_key_by_key():
    assert CONFIG_LOADER_ARGS["merge_strategy"] == {"parameters": "soft"}


@pytest.mark.parametrize("env", [None, "kaggle", "kaggle_like"])
def test_a_nested_override_keeps_the_other_keys(kedro_project, env):
    like = kedro_project / "conf" / "kaggle_like"  # an environment with its own parameters file
    like.mkdir()
    (like / "parameters_rossmann_data.yml").write_text("rossmann_data:\n  event_window_rows: 5\n")
    params = parameters(
        kedro_project,
        env,
        {
            "rossmann_data": {"trend_alignment": "fastai"},
            "rossmann_model": {"split": {"window_rows": 1000}, "train": {"epochs": 1}},
        },
    )
    assert params["rossmann_data"]["trend_alignment"] == "fastai"
    assert params["rossmann_data"]["event_window_rows"] == (5 if env == "kaggle_like" else 7)
    # the key beside the overridden one, inside `split` and beside `split`, survives
    assert params["rossmann_model"]["split"] == {"window_rows": 1000, "backtest_folds": 2}
    assert params["rossmann_model"]["cat_vars"][0] == "Store"
    assert params["rossmann_model"]["network"]["layers"] == (
        [256, 128] if env == "kaggle" else [1000, 500]
    )
    train = params["rossmann_model"]["train"]
    assert train["epochs"] == 1
    assert train["batch_size"] == (512 if env == "kaggle" else 256)  # the env's value survives


def test_an_environment_sets_only_the_keys_it_names(kedro_project):
    """A key of conf/base that the environment leaves out keeps its base value."""
    like = kedro_project / "conf" / "kaggle_like"
    like.mkdir()
    (like / "parameters_rossmann_model.yml").write_text(
        "rossmann_model:\n  train:\n    epochs: 12\n"
    )
    train = parameters(kedro_project, "kaggle_like", {})["rossmann_model"]["train"]
    assert train["epochs"] == 12 and train["lr"] == 0.003 and train["wd"] == 0.2
