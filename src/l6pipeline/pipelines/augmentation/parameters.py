"""The ``augmentation`` parameters as one typed block, checked before a run
(docs/architecture.md#parameters)."""

from __future__ import annotations

from dataclasses import dataclass, field

from l6pipeline.core.executors import ExecutorSettings
from l6pipeline.core.params import Parameters, Validator
from l6pipeline.vision.augmentation.augment import AugmentConfig
from l6pipeline.vision.augmentation.galleries import GallerySettings
from l6pipeline.vision.augmentation.study_config import (
    DigitSettings,
    ExperimentSettings,
    GridSettings,
    StudyModel,
)


@dataclass(frozen=True)
class AugmentationParameters(Parameters, what="augmentation"):
    """``augmentation``: the transforms, the galleries, the digits and the model they train,
    where the trainings run, the with/without experiment and the regularization study."""

    transforms: AugmentConfig = field(default_factory=AugmentConfig)
    galleries: GallerySettings = field(default_factory=GallerySettings)
    digits: DigitSettings = field(default_factory=DigitSettings)
    model: StudyModel = field(default_factory=StudyModel)
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    experiment: ExperimentSettings = field(default_factory=ExperimentSettings)
    study: GridSettings = field(default_factory=GridSettings)


PARAMETERS: dict[str, Validator] = {"augmentation": AugmentationParameters.from_params}
