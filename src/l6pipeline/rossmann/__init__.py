"""The Rossmann store-sales data: the raw tables (real or synthetic) and their validation.

Pure pandas/numpy code, no Kedro: the pipelines in ``l6pipeline.pipelines.rossmann_*`` wire it.
"""

from l6pipeline.rossmann.raw.errors import RawDataError

__all__ = ["RawDataError"]
