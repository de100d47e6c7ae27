"""Which typed config checks the ``rossmann_predict`` parameters (before a run)."""

from l6pipeline.core.params import Validator
from l6pipeline.rossmann.serving.mlflow_model import PredictSettings

PARAMETERS: dict[str, Validator] = {"rossmann_predict": PredictSettings.from_params}
