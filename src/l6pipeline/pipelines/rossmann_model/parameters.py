"""Which typed config checks which ``rossmann_model`` parameter block (before a run)."""

from functools import partial

from l6pipeline.core.nn.lr_finder import LRFinderConfig
from l6pipeline.core.nn.training import TrainConfig
from l6pipeline.core.params import Validator, check_choice
from l6pipeline.rossmann.model.backtest import SplitConfig
from l6pipeline.rossmann.model.ensemble import EnsembleConfig
from l6pipeline.rossmann.model.lightgbm import LightGBMConfig
from l6pipeline.rossmann.model.train import ModelConfig

PARAMETERS: dict[str, Validator] = {
    "rossmann_model.split": SplitConfig.from_params,
    "rossmann_model_refit": partial(check_choice, "", choices=(True, False)),
    "rossmann_model_network": ModelConfig.from_params,
    "rossmann_model_train": TrainConfig.from_params,
    "rossmann_model_lr_finder": LRFinderConfig.from_params,
    "rossmann_model_ensemble": EnsembleConfig.from_params,
    "rossmann_model_baseline": LightGBMConfig.from_params,
}
