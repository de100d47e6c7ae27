"""Wiring of the Rossmann feature pipeline: the raw-layer validation, the shared tables, then
:data:`~l6pipeline.rossmann.features.chain.ROW_STEPS` on the train and the test rows.

Parameters: ``params:rossmann_data.<name>`` (typed by
:class:`~l6pipeline.rossmann.features.parameters.RossmannDataParameters`; ``store_partitions``
is the Dask switch, set by ``conf/dask``). Steps and columns: ``docs/rossmann_data.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial, update_wrapper
from typing import Any

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines import rossmann_ingest
from l6pipeline.pipelines.in_memory import run_in_memory
from l6pipeline.rossmann.features.build import (
    filter_sales,
    join_store_states,
    join_weather_states,
    prepare_google_trend,
)
from l6pipeline.rossmann.features.chain import ALIGNMENT, RECENT, ROW_STEPS, WINDOW
from l6pipeline.rossmann.features.events import WINDOW_ROWS, compute_event_features, data_days
from l6pipeline.rossmann.features.partitions import partition_by_store, per_store_partition
from l6pipeline.rossmann.features.recent import (
    RecentSalesConfig,
    compute_recent_sales,
    recent_sales_lag,
)
from l6pipeline.rossmann.raw.schemas import TABLES

SPLITS = ("train", "test")
OUTPUTS = tuple(f"rossmann_{split}_features" for split in SPLITS)
PARTITIONS = "params:rossmann_data.store_partitions"


def _node_func(kernel: Callable, copartition: bool = False, **kwargs: Any) -> Callable:
    """``kernel`` for pandas tables or per store partition of Dask ones
    (:func:`~l6pipeline.rossmann.features.partitions.per_store_partition`), keyword arguments
    bound, its name and docstring kept (for kedro-viz)."""
    step = per_store_partition(kernel, copartition=copartition)
    return update_wrapper(partial(step, **kwargs), kernel) if kwargs else step


def shared_pipeline() -> Pipeline:
    """Small tables once, the store partitioning, and the events and recent sales levels over
    train + test."""
    return Pipeline(
        [
            Node(
                join_store_states,
                ["validated_store", "validated_store_states"],
                "rossmann_store",
                name="join_store_states",
            ),
            Node(
                join_weather_states,
                ["validated_weather", "validated_state_names"],
                "rossmann_weather",
                name="join_weather_states",
            ),
            Node(
                prepare_google_trend,
                "validated_googletrend",
                ["rossmann_trend_state", "rossmann_trend_national"],
                name="prepare_google_trend",
            ),
            Node(
                partition_by_store,
                ["validated_train", "validated_test", PARTITIONS],
                ["rossmann_train_by_store", "rossmann_test_by_store"],
                name="partition_by_store",
            ),
            Node(
                data_days,
                ["validated_train", "validated_test"],
                "rossmann_data_days",
                name="data_days",
            ),
            Node(
                _node_func(compute_event_features),
                [
                    "rossmann_train_by_store",
                    "rossmann_test_by_store",
                    WINDOW,
                    "rossmann_data_days",
                ],
                "rossmann_events",
                name="compute_event_features",
            ),
            Node(
                recent_sales_lag,
                ["validated_train", "validated_test", RECENT],
                "rossmann_recent_sales_lag",
                name="recent_sales_lag",
            ),
            Node(
                _node_func(compute_recent_sales),
                [
                    "rossmann_train_by_store",
                    "rossmann_test_by_store",
                    "rossmann_recent_sales_lag",
                    RECENT,
                ],
                "rossmann_recent_sales",
                name="compute_recent_sales",
            ),
            Node(
                _node_func(filter_sales),
                "rossmann_train_by_store",
                "rossmann_train_rows",
                name="filter_train_sales",
            ),
        ]
    )


def feature_branch(split: str) -> Pipeline:
    """:data:`ROW_STEPS` on one table: ``rossmann_train_rows`` (sales filtered) or
    ``rossmann_<split>_by_store``, to ``rossmann_<split>_features``."""
    rows = "rossmann_train_rows" if split == "train" else f"rossmann_{split}_by_store"
    nodes = []
    for i, step in enumerate(ROW_STEPS):
        last = i == len(ROW_STEPS) - 1
        output = f"rossmann_{split}_features" if last else f"rossmann_{split}_with_{step.output}"
        func = _node_func(step.kernel, step.copartition, **({"name": split} if step.named else {}))
        nodes.append(Node(func, [rows, *step.tables], output, name=f"{step.name}_{split}"))
        rows = output
    return Pipeline(nodes)


def create_feature_pipeline() -> Pipeline:
    """The feature nodes alone (inputs: the ``validated_*`` datasets and parameters)."""
    return Pipeline([shared_pipeline(), *(feature_branch(split) for split in SPLITS)])


def create_pipeline(**kwargs) -> Pipeline:
    """Validation of the raw tables (``rossmann_ingest``) followed by the feature nodes."""
    return rossmann_ingest.create_pipeline() + create_feature_pipeline()


def run_feature_pipeline(
    tables: Mapping[str, Any],
    outputs: Iterable[str] = OUTPUTS,
    alignment: str = "google_week",
    window: int = WINDOW_ROWS,
    partitions: int = 0,
    recent_sales: Mapping | None = None,
) -> dict[str, Any]:
    """``outputs`` (catalog names, e.g. ``rossmann_store``) of a Kedro run of the feature nodes
    on the seven validated ``tables`` (by table name) in memory; only the nodes they need run."""
    inputs = {
        **{f"validated_{name}": tables[name] for name in TABLES},
        ALIGNMENT: alignment,
        WINDOW: window,
        PARTITIONS: partitions,
        RECENT: RecentSalesConfig.from_params(recent_sales),  # None: the defaults
    }
    return run_in_memory(create_feature_pipeline(), inputs, outputs)


def build_feature_tables(
    tables: Mapping[str, Any],
    alignment: str = "google_week",
    window: int = WINDOW_ROWS,
    partitions: int = 0,
    recent_sales: Mapping | None = None,
) -> tuple[Any, Any]:
    """(training features, test features) from the validated tables: a Kedro run of
    :func:`create_feature_pipeline` on the tables in memory.

    ``tables`` holds the seven validated tables by name (``train``, ``test``, ``store``, ...).
    ``train`` / ``test`` may be Dask frames (any partitioning), or ``partitions`` > 0 asks for
    that many Dask partitions of whole stores: the results are then lazy Dask frames (rows
    grouped by partition, not in file order). The default is pandas in, pandas out.
    """
    results = run_feature_pipeline(tables, OUTPUTS, alignment, window, partitions, recent_sales)
    return results[OUTPUTS[0]], results[OUTPUTS[1]]
