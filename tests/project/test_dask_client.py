"""The Dask client hook: off unless the ``dask`` parameters enable it; opened and closed per run."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dask
import pytest
from distributed import LocalCluster

from l6pipeline.core.errors import UserInputError
from l6pipeline.core.params import ParameterError
from l6pipeline.project import dask_client
from l6pipeline.project.dask_client import DaskAddressError, DaskClientHooks, DaskSettings

SMALL = {"enabled": True, "n_workers": 1, "threads_per_worker": 1, "memory_limit": "1GiB"}


def context(params: dict) -> SimpleNamespace:
    return SimpleNamespace(params=params)


def test_the_default_env_never_imports_dask(kedro_project: Path):
    """A plain run's context and catalog: no ``dask`` block, no Dask import (an optional extra)."""
    script = (
        "import sys\n"
        "from kedro.framework.session import KedroSession\n"
        "from kedro.framework.startup import bootstrap_project\n"
        f"bootstrap_project({str(kedro_project)!r})\n"
        f"with KedroSession.create(project_path={str(kedro_project)!r}) as session:\n"
        "    catalog = session.load_context().catalog\n"
        "    catalog.get('rossmann_train_features')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_without_an_enabled_block_the_hook_does_nothing():
    hooks = DaskClientHooks()
    hooks.after_context_created(context({}))
    hooks.after_context_created(context({"dask": {"enabled": False}}))
    assert hooks.client is None


def test_an_enabled_block_opens_a_local_cluster_for_the_run_and_closes_it():
    hooks = DaskClientHooks()
    hooks.after_context_created(context({"dask": SMALL}))
    client = hooks.client
    try:
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 1
        assert next(iter(workers.values()))["memory_limit"] == 2**30
        # Dask computations of the run go to it
        assert dask.base.get_scheduler() == client.get
        assert client.submit(sum, [1, 2, 3]).result() == 6
    finally:
        hooks.after_pipeline_run()
    assert hooks.client is None and client.status == "closed"
    assert client.cluster.status.name == "closed"


def test_a_failed_run_closes_the_client_too():
    hooks = DaskClientHooks()
    hooks.after_context_created(context({"dask": SMALL}))
    client = hooks.client
    hooks.on_pipeline_error()
    assert client.status == "closed"


def test_a_scheduler_address_connects_to_that_cluster_and_leaves_it_running():
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        hooks = DaskClientHooks()
        params = {"enabled": True, "scheduler_address": cluster.scheduler_address}
        hooks.after_context_created(context({"dask": params}))
        assert hooks.client.scheduler.address == cluster.scheduler_address
        hooks.after_pipeline_run()
        assert cluster.status.name == "running"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"n_workerz": 2},
            r"^dask.n_workerz: unknown dask parameters \(a typo\?\); the known keys are",
        ),
        ({"n_workers": 0}, r"^dask.n_workers = 0: must be an integer >= 1$"),
        ({"threads_per_worker": 1.5}, r"^dask.threads_per_worker = 1.5: must be an integer >= 1$"),
        ({"enabled": "yes"}, r"^dask.enabled = 'yes': must be true or false$"),
        ({"memory_limit": ""}, r"^dask.memory_limit = '': must be bytes or a size"),
        (
            {"scheduler_address": 8786},
            r"^dask.scheduler_address = 8786: must be an address string or null$",
        ),
    ],
)
def test_bad_parameters_are_named_before_anything_starts(params, message, monkeypatch):
    monkeypatch.setattr(dask_client, "open_client", pytest.fail)
    with pytest.raises(ParameterError, match=message):
        DaskClientHooks().after_context_created(context({"dask": {"enabled": True, **params}}))


def test_an_unreachable_scheduler_is_a_user_error_naming_the_address(free_port):
    address = f"tcp://127.0.0.1:{free_port}"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(DaskAddressError) as caught:
            DaskClientHooks().after_context_created(
                context({"dask": {"enabled": True, "scheduler_address": address}})
            )
    message = str(caught.value)
    assert isinstance(caught.value, UserInputError) and "\n" not in message
    assert message.startswith(
        f"cannot reach the Dask scheduler at dask.scheduler_address = {address!r}: "
    )
    assert message.endswith("null starts a LocalCluster on this machine")


@pytest.fixture
def free_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_settings_defaults_are_a_small_local_cluster():
    settings = DaskSettings.from_params({"enabled": True})
    assert (settings.scheduler_address, settings.n_workers, settings.threads_per_worker) == (
        None,
        2,
        1,
    )


def test_without_the_extra_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    with pytest.raises(
        ImportError, match=r"optional extra: make install, or pip install -r requirements/dev.txt"
    ):
        DaskClientHooks().after_context_created(context({"dask": {"enabled": True}}))
