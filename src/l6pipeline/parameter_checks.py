"""Which typed config checks which parameter block, for every pipeline of the project.

Registered with :func:`l6pipeline.params.register_params` and run by
:class:`l6pipeline.hooks.ParameterHooks` before a run's first node. Each check is the config
class the node itself builds (``from_params``), so a key added to a config is known here at
once. Blocks read as plain dicts by the nodes (``cnn.data``, ``cnn.kernels``, ...) have no typed
config yet and are not checked here.
"""

from __future__ import annotations

from functools import partial

from l6pipeline.nn.lr_finder import LRFinderConfig
from l6pipeline.nn.training import TrainConfig
from l6pipeline.params import check_choice, check_int, register_params
from l6pipeline.rossmann.features.trend import ALIGNMENTS
from l6pipeline.rossmann.synthetic import SyntheticConfig
from l6pipeline.tabular.backtest import SplitConfig
from l6pipeline.tabular.baseline import LightGBMConfig
from l6pipeline.tabular.ensemble import EnsembleConfig
from l6pipeline.tabular.train import ModelConfig as TabularModelConfig
from l6pipeline.vision.augment import AugmentConfig
from l6pipeline.vision.classifier import CNNConfig
from l6pipeline.vision.study import StudySettings

register_params("rossmann_synthetic", SyntheticConfig.from_params)
register_params("rossmann_data.trend_alignment", partial(check_choice, "", choices=ALIGNMENTS))
register_params("rossmann_data.event_window_rows", partial(check_int, "", minimum=1))
register_params("rossmann_model.split", SplitConfig.from_params)
register_params("rossmann_model_refit", partial(check_choice, "", choices=(True, False)))
register_params("rossmann_model_network", TabularModelConfig.from_params)
register_params("rossmann_model_train", TrainConfig.from_params)
register_params("rossmann_model_lr_finder", LRFinderConfig.from_params)
register_params("rossmann_model_ensemble", EnsembleConfig.from_params)
register_params("rossmann_model_baseline", LightGBMConfig.from_params)
for block in ("cnn.classifier", "cnn.localization"):
    register_params(f"{block}.train", TrainConfig.from_params)
    register_params(f"{block}.model", CNNConfig.from_params)
register_params("augmentation.transforms", AugmentConfig.from_params)
register_params("augmentation.digits.transforms", AugmentConfig.from_params)
register_params("augmentation.model", lambda model: StudySettings.from_params({"model": model}))
for block in ("augmentation.experiment", "augmentation.study"):
    register_params(f"{block}.train", TrainConfig.from_params)
