"""Node of the generator pipeline."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from l6pipeline.rossmann.raw.synthetic import SyntheticConfig, generate_rossmann

logger = logging.getLogger(__name__)


def generate_raw_tables(params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The seven raw tables from ``params:rossmann_synthetic`` (see ``SyntheticConfig``)."""
    config = SyntheticConfig.from_params(params)
    tables = generate_rossmann(config)
    logger.info(
        "Synthetic Rossmann data (seed %d): %s",
        config.seed,
        ", ".join(f"{name} {len(frame):,} rows" for name, frame in tables.items()),
    )
    return tables
