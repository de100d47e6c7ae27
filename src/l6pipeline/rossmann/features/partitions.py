"""Row tables as one pandas frame or as Dask partitions of whole stores: one pandas kernel per
feature, run once per partition (docs/scale.md)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import pandas as pd

from l6pipeline.core.params import ParameterError

PARTITION_KEY = "Store"
PARTITIONS_PARAMETER = "rossmann_data.store_partitions"


def is_dask_frame(frame: object) -> bool:
    """Whether ``frame`` is a Dask DataFrame (without importing Dask)."""
    dd = sys.modules.get("dask.dataframe")
    return dd is not None and isinstance(frame, dd.DataFrame)


def computed(value: Any) -> Any:
    """A Dask collection or scalar computed; a pandas one (or anything else) as is."""
    return value.compute() if hasattr(value, "compute") else value


def dask_dataframe() -> Any:
    """``dask.dataframe``, or an ``ImportError`` that says how to install the optional extra."""
    try:
        import dask.dataframe as dd  # noqa: PLC0415 (optional extra, only for Dask frames)
    except ImportError as error:
        raise ImportError(
            "Dask partitions need the optional extra, which the lock installs: make install, or "
            "pip install -r requirements/dev.txt "
            f"(or set rossmann_data.store_partitions to 0 for pandas): {error}"
        ) from None
    return dd


def check_partitions(partitions: object, key: str = PARTITIONS_PARAMETER) -> int:
    """``partitions`` as an int >= 0, or a :class:`~l6pipeline.core.params.ParameterError` naming
    the parameter (``key``) and what each value means."""
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 0:
        raise ParameterError(
            key,
            "must be an integer >= 0 (0: one pandas table in this process; N: N Dask "
            "partitions of whole stores)",
            partitions,
        )
    return partitions


def partition_by_store(train: Any, test: Any, partitions: int = 0) -> tuple[Any, Any]:
    """(train, test) in partitions holding whole stores, the same stores in both (hashing ``Store``);
    pandas tables with ``partitions == 0`` come back unchanged."""
    partitions = check_partitions(partitions)
    if partitions == 0 and not (is_dask_frame(train) or is_dask_frame(test)):
        return train, test
    dd = dask_dataframe()
    count = partitions or max(f.npartitions for f in (train, test) if is_dask_frame(f))

    def shuffled(frame: Any) -> Any:
        if not is_dask_frame(frame):
            frame = dd.from_pandas(frame, npartitions=count, sort=False)
        return frame.shuffle(PARTITION_KEY, npartitions=count)

    return shuffled(train), shuffled(test)


def copartitioned(frame: Any, like: Any) -> Any:
    """``frame`` shuffled on ``Store`` like ``like`` (a table read back from files has the
    files' partitions, not the stores'); pandas frames pass through."""
    if is_dask_frame(frame) and is_dask_frame(like):
        return frame.shuffle(PARTITION_KEY, npartitions=like.npartitions)
    return frame


def map_store_partitions(kernel: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any) -> Any:
    """``kernel`` on each partition of the alike-partitioned Dask frames in ``args`` (other arguments
    go whole to every call); the output schema is the kernel on empty frames."""
    dd = sys.modules["dask.dataframe"]  # a Dask frame is among the arguments
    frames = [arg for arg in args if is_dask_frame(arg)]
    counts = {frame.npartitions for frame in frames}
    if len(counts) != 1:
        raise ValueError(f"{kernel.__name__}: Dask inputs have different partitions: {counts}")
    bound = functools.partial(kernel, **kwargs)
    meta = bound(*(arg._meta if is_dask_frame(arg) else arg for arg in args))
    return dd.map_partitions(bound, *args, meta=meta, align_dataframes=False)


def per_store_partition(
    kernel: Callable[..., pd.DataFrame], copartition: bool = False
) -> Callable[..., Any]:
    """``kernel`` that also takes Dask frames partitioned by store; ``copartition`` shuffles the later
    frames on ``Store`` like the first."""

    @functools.wraps(kernel)
    def step(*args: Any, **kwargs: Any) -> Any:
        if not any(is_dask_frame(arg) for arg in args):
            return kernel(*args, **kwargs)
        if copartition:
            args = (args[0], *(copartitioned(arg, args[0]) for arg in args[1:]))
        return map_store_partitions(kernel, *args, **kwargs)

    return step
