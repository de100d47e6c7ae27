"""The typed ``rossmann_data`` parameters, checked before a run (the class lives beside the
feature chain, since the served model carries it too)."""

from l6pipeline.core.params import Validator
from l6pipeline.rossmann.features.parameters import RossmannDataParameters

PARAMETERS: dict[str, Validator] = {"rossmann_data": RossmannDataParameters.from_params}
