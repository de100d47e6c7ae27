"""The tabular half of the lesson, no Kedro: the raw Rossmann tables (``raw``), the features
(``features``), the model (``model``) and the served model (``serving``)."""

from l6pipeline.rossmann.raw.errors import RawDataError

__all__ = ["RawDataError"]
