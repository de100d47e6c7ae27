"""Which typed config checks which ``rossmann_synthetic`` parameter block (before a run)."""

from l6pipeline.core.params import Validator
from l6pipeline.rossmann.raw.synthetic import SyntheticConfig

PARAMETERS: dict[str, Validator] = {"rossmann_synthetic": SyntheticConfig.from_params}
