"""A ``distributed.Client`` for the run when the ``dask`` block enables it (``kedro run --env
dask``), opened and closed by a Kedro hook; Dask is not imported otherwise (docs/scale.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from kedro.framework.hooks import hook_impl

from l6pipeline.core.errors import UserInputError
from l6pipeline.core.params import ParameterError, check_int, known_params

PARAMS_KEY = "dask"


@dataclass(frozen=True)
class DaskSettings:
    """The ``dask`` parameters (see ``conf/dask/parameters_dask.yml``)."""

    enabled: bool = False
    scheduler_address: str | None = None  # e.g. "tcp://10.0.0.5:8786"; None: a LocalCluster
    n_workers: int = 2
    threads_per_worker: int = 1
    memory_limit: str | int = "2GiB"  # per worker, as LocalCluster takes it ("4GiB", bytes)
    dashboard_address: str | None = None  # e.g. "127.0.0.1:8787"; None: no dashboard

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ParameterError("enabled", "must be true or false", self.enabled)
        check_int("n_workers", self.n_workers, minimum=1)
        check_int("threads_per_worker", self.threads_per_worker, minimum=1)
        for key in ("scheduler_address", "dashboard_address"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise ParameterError(key, "must be an address string or null", value)
        limit = self.memory_limit
        if isinstance(limit, bool) or not isinstance(limit, str | int) or limit == "":
            raise ParameterError("memory_limit", 'must be bytes or a size such as "2GiB"', limit)

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> DaskSettings:
        """Typed settings, or a :class:`ParameterError` naming the key, its value and what is
        allowed (as ``dask.<key>``)."""
        try:
            return cls(**known_params(params, [f.name for f in fields(cls)], PARAMS_KEY))
        except ParameterError as error:
            raise error.within(PARAMS_KEY) from None


class DaskAddressError(UserInputError):
    """The scheduler at the ``dask.scheduler_address`` parameter cannot be reached."""


def open_client(settings: DaskSettings) -> Any:
    """A client of the scheduler at ``scheduler_address``, or of a new ``LocalCluster``."""
    try:
        from distributed import Client, LocalCluster  # noqa: PLC0415 (optional extra)
    except ImportError as error:
        raise ImportError(
            f"the {PARAMS_KEY} parameters enable Dask, which needs the optional extra: "
            f"make install, or pip install -r requirements/dev.txt ({error})"
        ) from None

    if settings.scheduler_address:
        try:
            return Client(settings.scheduler_address)
        except (OSError, ValueError) as error:  # unreachable (a timeout), or not an address
            raise DaskAddressError(
                f"cannot reach the Dask scheduler at {PARAMS_KEY}.scheduler_address = "
                f"{settings.scheduler_address!r}: {error}. Start the scheduler (`dask scheduler`) "
                "or fix the address, e.g. tcp://<host>:8786; null starts a LocalCluster on "
                "this machine"
            ) from None
    cluster = LocalCluster(
        n_workers=settings.n_workers,
        threads_per_worker=settings.threads_per_worker,
        memory_limit=settings.memory_limit,
        dashboard_address=settings.dashboard_address,
        processes=True,
    )
    return Client(cluster)  # DaskClientHooks.close closes both


class DaskClientHooks:
    """Open a Dask client when the ``dask`` parameters enable it; close it after the run."""

    def __init__(self) -> None:
        self.client: Any = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        settings = DaskSettings.from_params(context.params.get(PARAMS_KEY))
        if settings.enabled:
            self.close()
            self.client = open_client(settings)

    @hook_impl
    def after_pipeline_run(self) -> None:
        self.close()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            cluster = self.client.cluster  # None for a remote scheduler: that one stays up
            self.client.close()
            if cluster is not None:
                cluster.close()
            self.client = None
