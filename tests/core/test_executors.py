"""Executors: the local loop's outcomes, parameter checks, and no Ray import by default.

The Ray executor's tests (same outcomes as the loop, worker failures) are in
tests/pipelines/augmentation/test_ray.py, which starts Ray once for all of them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from l6pipeline.core.errors import UserInputError
from l6pipeline.core.executors import (
    LocalExecutor,
    RayAddressError,
    RayExecutor,
    make_executor,
)
from l6pipeline.core.params import ParameterError


def square_or_fail(item: int, offset: int) -> tuple[int, int]:
    """Module level, so Ray workers can import it: fails on 3, reports its thread count."""
    if item == 3:
        raise ValueError(f"item {item} is bad")
    return item * item + offset, torch.get_num_threads()


def test_local_executor_yields_every_outcome_in_order_failures_included():
    with LocalExecutor() as executor:
        outcomes = list(executor.map_unordered(square_or_fail, [1, 3, 4], 10))
    assert [o.index for o in outcomes] == [0, 1, 2]
    assert [o.value for o in outcomes] == [(11, 1), None, (26, 1)]  # one thread per task
    assert isinstance(outcomes[1].error, ValueError) and "item 3" in str(outcomes[1].error)


def test_local_executor_restores_the_thread_count():
    before = torch.get_num_threads()
    list(LocalExecutor(threads_per_task=1).map_unordered(square_or_fail, [1], 0))
    assert torch.get_num_threads() == before


def test_make_executor_reads_parameters_and_rejects_bad_ones():
    assert isinstance(make_executor(None), LocalExecutor)
    assert isinstance(make_executor({"engine": "local", "address": None}), LocalExecutor)
    ray = make_executor({"engine": "ray", "address": "auto", "num_cpus": 2})
    assert isinstance(ray, RayExecutor) and ray.address == "auto" and ray.num_cpus == 2
    with pytest.raises(
        ParameterError, match=r"^executor.engine = 'dask': must be one of 'local', 'ray'$"
    ):
        make_executor({"engine": "dask"})
    with pytest.raises(
        ParameterError, match=r"^executor.num_cpus = 0: must be an integer >= 1 or null$"
    ):
        make_executor({"engine": "ray", "num_cpus": 0})
    with pytest.raises(
        ParameterError, match=r"executor.adress: unknown executor parameters \(a typo\?\)"
    ):
        make_executor({"engine": "ray", "adress": "auto"})
    with pytest.raises(
        ParameterError, match=r"^executor.address = 8786: must be an address string or null$"
    ):
        make_executor({"engine": "ray", "address": 8786})


def test_a_ray_cluster_that_is_not_there_is_a_user_error_naming_the_address(monkeypatch):
    """``address: auto`` with no Ray running: one paragraph naming the parameter and the fix."""
    import ray

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert not ray.is_initialized()
    with pytest.raises(RayAddressError) as caught, RayExecutor(address="auto"):
        pass
    message = str(caught.value)
    assert isinstance(caught.value, UserInputError)
    assert message.startswith("cannot join the Ray cluster at executor.address = 'auto': ")
    assert message.endswith("null starts a Ray on this machine for the run")
    assert "\n" not in message


def test_the_default_path_never_imports_ray():
    code = (
        "import sys\n"
        "from l6pipeline.pipelines.augmentation import nodes\n"
        "from l6pipeline.core.executors import make_executor\n"
        "with make_executor({'engine': 'local'}) as e:\n"
        "    list(e.map_unordered(abs, [-1]))\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
