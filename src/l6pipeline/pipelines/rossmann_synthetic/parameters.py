"""Which typed config checks which ``rossmann_synthetic`` parameter block (before a run)."""

from l6pipeline.params import Validator
from l6pipeline.rossmann.synthetic import SyntheticConfig

PARAMETERS: dict[str, Validator] = {"rossmann_synthetic": SyntheticConfig.from_params}
