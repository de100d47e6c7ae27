"""Which check reads which ``rossmann_data`` parameter (before a run)."""

from functools import partial

from l6pipeline.core.params import Validator, check_choice, check_int
from l6pipeline.rossmann.features.partitions import check_partitions
from l6pipeline.rossmann.features.recent import RecentSalesConfig
from l6pipeline.rossmann.features.trend import ALIGNMENTS

PARAMETERS: dict[str, Validator] = {
    "rossmann_data.trend_alignment": partial(check_choice, "", choices=ALIGNMENTS),
    "rossmann_data.event_window_rows": partial(check_int, "", minimum=1),
    "rossmann_data.recent_sales": RecentSalesConfig.from_params,
    "rossmann_data_store_partitions": partial(check_partitions, key=""),
}
