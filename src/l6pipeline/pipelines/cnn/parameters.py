"""Which typed config checks which ``cnn`` parameter block (before a run)."""

from l6pipeline.core.nn.training import TrainConfig
from l6pipeline.core.params import Validator
from l6pipeline.vision.cnn.classifier import CNNConfig
from l6pipeline.vision.images.sources import ImageData
from l6pipeline.vision.interpretation.interpret import LocalizationSettings

PARAMETERS: dict[str, Validator] = {
    "cnn.data": ImageData.from_params,
    "cnn.classifier.train": TrainConfig.from_params,
    "cnn.classifier.model": CNNConfig.from_params,
    "cnn.localization": LocalizationSettings.from_params,
}
