"""Node of the generator pipeline."""

from __future__ import annotations

import logging

import pandas as pd

from l6pipeline.core.params import takes_configs
from l6pipeline.rossmann.raw.synthetic import SyntheticConfig, generate_rossmann

logger = logging.getLogger(__name__)


@takes_configs
def generate_raw_tables(config: SyntheticConfig) -> dict[str, pd.DataFrame]:
    """The seven raw tables from ``params:rossmann_synthetic`` (see ``SyntheticConfig``)."""
    tables = generate_rossmann(config)
    logger.info(
        "Synthetic Rossmann data (seed %d): %s",
        config.seed,
        ", ".join(f"{name} {len(frame):,} rows" for name, frame in tables.items()),
    )
    return tables
