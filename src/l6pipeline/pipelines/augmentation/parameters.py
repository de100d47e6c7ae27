"""Which typed config checks which ``augmentation`` parameter block (before a run)."""

from l6pipeline.core.executors import ExecutorSettings
from l6pipeline.core.nn.training import TrainConfig
from l6pipeline.core.params import Validator
from l6pipeline.vision.augmentation.augment import AugmentConfig
from l6pipeline.vision.augmentation.study import StudySettings

PARAMETERS: dict[str, Validator] = {
    "augmentation.transforms": AugmentConfig.from_params,
    "augmentation.digits.transforms": AugmentConfig.from_params,
    "augmentation.model": lambda model: StudySettings.from_params({"model": model}),
    "augmentation.executor": ExecutorSettings.from_params,
    "augmentation.experiment.train": TrainConfig.from_params,
    "augmentation.study.train": TrainConfig.from_params,
}
