"""The synthetic Rossmann tables: the seven raw tables drawn from one seed, no download."""

from l6pipeline.rossmann.raw.synthetic.generator import SyntheticConfig, generate_rossmann

__all__ = ["SyntheticConfig", "generate_rossmann"]
