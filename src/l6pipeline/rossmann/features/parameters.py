"""The typed ``rossmann_data`` parameters: what the feature chain reads, checked before a run and
carried by the served model (docs/rossmann_data.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from l6pipeline.core.params import Parameters, check_choice, check_int

from .events import WINDOW_ROWS
from .partitions import check_partitions
from .recent import RecentSalesConfig
from .trend import ALIGNMENTS


@dataclass(frozen=True)
class RossmannDataParameters(Parameters, what="rossmann_data"):
    """``rossmann_data``: the Google-trend alignment, the event window (rows), the recent
    sales levels and the store partitions (0: pandas; N: N Dask partitions of whole stores)."""

    trend_alignment: str = "google_week"
    event_window_rows: int = WINDOW_ROWS
    recent_sales: RecentSalesConfig = field(default_factory=RecentSalesConfig)
    store_partitions: int = 0

    def __post_init__(self) -> None:
        check_choice("trend_alignment", self.trend_alignment, ALIGNMENTS)
        check_int("event_window_rows", self.event_window_rows, minimum=1)
        check_partitions(self.store_partitions, "store_partitions")
