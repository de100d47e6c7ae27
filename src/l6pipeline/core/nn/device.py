"""Pick the compute device: the code runs on CPU or GPU without changes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


def resolve_device(name: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA when available, else CPU; any other name is used as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but CUDA is not available")
    return device


@contextmanager
def cpu_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op CPU threads (``None``: leave torch's setting alone).

    Small models gain little from intra-op parallelism, and on a busy machine with few cores
    the worker threads wait on each other: one thread can be several times faster there.
    """
    if n is None:
        yield
        return
    if n < 1:
        raise ValueError(f"num_threads must be at least 1, got {n}")
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
