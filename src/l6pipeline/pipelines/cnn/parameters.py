"""The ``cnn`` parameters as one typed block, checked before a run
(docs/architecture.md#parameters)."""

from __future__ import annotations

from dataclasses import dataclass, field

from l6pipeline.core.params import Parameters, Validator
from l6pipeline.vision.convolutions.kernels import KernelSettings
from l6pipeline.vision.convolutions.spreadsheet import SpreadsheetSettings
from l6pipeline.vision.images.sources import ImageData
from l6pipeline.vision.interpretation.interpret import ClassifierSettings, LocalizationSettings


@dataclass(frozen=True)
class CnnParameters(Parameters, what="cnn"):
    """``cnn``: the images, the spreadsheet and kernel figures, the classifier and its heatmaps,
    and the localization (canvases and the pointing game)."""

    data: ImageData = field(default_factory=ImageData)
    spreadsheet: SpreadsheetSettings = field(default_factory=SpreadsheetSettings)
    kernels: KernelSettings = field(default_factory=KernelSettings)
    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    localization: LocalizationSettings = field(default_factory=LocalizationSettings)


PARAMETERS: dict[str, Validator] = {"cnn": CnnParameters.from_params}
