"""The row-wise feature chain: the steps that turn one table of rows (train, test, or a served
request) into model features, in order, with the catalog tables each step reads.

The Kedro pipeline ``rossmann_data`` builds its per-split branches from :data:`ROW_STEPS`, and the
served model calls the same steps on request rows, so a new step reaches both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from l6pipeline.rossmann.features.build import (
    add_competition_promo2,
    add_date_parts,
    join_events,
    join_google_trend,
    join_recent_sales,
    join_store,
    join_weather,
)

#: The ``rossmann_data`` parameters the steps read, as pipeline inputs.
ALIGNMENT = "params:rossmann_data.trend_alignment"
WINDOW = "params:rossmann_data.event_window_rows"
RECENT = "params:rossmann_data.recent_sales"


class RowStep(NamedTuple):
    """One row-wise feature node: ``kernel(rows, *tables)`` gives ``rossmann_<split>_with_<output>``.

    ``named``: the kernel takes ``name=<split>`` (joins name their table in errors);
    ``copartition``: Dask tables after the rows are shuffled by store like the rows.
    """

    name: str
    kernel: Callable[..., Any]
    output: str
    tables: tuple[str, ...] = ()
    named: bool = False
    copartition: bool = False


#: The row-wise chain, in order, for the train and the test rows alike. A new feature is one
#: more entry (a pandas table -> table function); the last entry's table is the branch's result.
ROW_STEPS: tuple[RowStep, ...] = (
    RowStep("add_date_parts", add_date_parts, "dates"),
    RowStep("join_store", join_store, "store", ("rossmann_store",), named=True),
    RowStep(
        "join_google_trend",
        join_google_trend,
        "trend",
        ("rossmann_trend_state", "rossmann_trend_national", ALIGNMENT),
        named=True,
    ),
    RowStep("join_weather", join_weather, "weather", ("rossmann_weather",), named=True),
    RowStep("add_competition_promo2", add_competition_promo2, "competition"),
    RowStep(
        "join_events", join_events, "events", ("rossmann_events",), named=True, copartition=True
    ),
    RowStep(
        "join_recent_sales",
        join_recent_sales,
        "recent_sales",
        ("rossmann_recent_sales",),
        named=True,
        copartition=True,
    ),
)
