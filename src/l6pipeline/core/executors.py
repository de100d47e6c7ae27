"""Independent trainings one after another in this process, or as Ray tasks: one interface, one
thread per call, the same results (docs/architecture.md#executors)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from l6pipeline.core.errors import UserInputError
from l6pipeline.core.params import ParameterError, check_choice, check_int, known_params

ENGINES = ("local", "ray")


class RayAddressError(UserInputError):
    """The Ray cluster at the ``executor.address`` parameter cannot be joined."""


@dataclass(frozen=True)
class Outcome:
    """The result of ``items[index]``, or the exception its call raised."""

    index: int
    value: Any = None
    error: BaseException | None = None


def run_single_threaded(fn: Callable[..., Any], threads: int, *args: Any) -> Any:
    """``fn(*args)`` with ``threads`` torch CPU threads: the same arithmetic on any engine."""
    torch.set_num_threads(threads)
    return fn(*args)


class LocalExecutor:
    """Each call in turn, in this process (the default engine)."""

    def __init__(self, threads_per_task: int = 1) -> None:
        self.threads_per_task = threads_per_task

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def map_unordered(
        self, fn: Callable[..., Any], items: Sequence[Any], *shared: Any
    ) -> Iterator[Outcome]:
        """``fn(item, *shared)`` for every item, in order; an exception becomes an outcome."""
        previous = torch.get_num_threads()
        try:
            for index, item in enumerate(items):
                try:
                    value = run_single_threaded(fn, self.threads_per_task, item, *shared)
                except Exception as error:  # reported by the caller, naming its item
                    yield Outcome(index, error=error)
                else:
                    yield Outcome(index, value)
        finally:
            torch.set_num_threads(previous)


class RayExecutor:
    """Each call as a one-CPU Ray task: a local Ray (``address=None``, shut down on exit), a running
    cluster (``"auto"``, ``"ray://<head>:10001"``), or a Ray already initialized here."""

    def __init__(
        self, address: str | None = None, num_cpus: int | None = None, threads_per_task: int = 1
    ) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.threads_per_task = threads_per_task
        self._started = False

    def __enter__(self) -> RayExecutor:
        import ray  # noqa: PLC0415 (optional extra: only this engine needs it)

        if ray.is_initialized():
            return self
        if self.address is None:  # a Ray of our own on this machine, for this block only
            ray.init(num_cpus=self.num_cpus, include_dashboard=False, configure_logging=False)
        else:  # a cluster's settings are the cluster's: pass nothing else
            try:
                ray.init(address=self.address)
            except (ConnectionError, TimeoutError, ValueError) as error:
                raise RayAddressError(
                    f"cannot join the Ray cluster at executor.address = {self.address!r}: "
                    f'{error}. Start the cluster, or give its address ("auto" on one of its '
                    'nodes, "ray://<head>:10001" from outside); null starts a Ray on this '
                    "machine for the run"
                ) from None
        self._started = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._started:
            import ray  # noqa: PLC0415

            ray.shutdown()
            self._started = False

    def map_unordered(
        self, fn: Callable[..., Any], items: Sequence[Any], *shared: Any
    ) -> Iterator[Outcome]:
        """Submit every call at once; yield each outcome as its task ends.

        ``shared`` goes into Ray's object store once (not once per task). Tasks still pending
        when the caller stops iterating are cancelled.
        """
        import ray  # noqa: PLC0415
        from ray.exceptions import RayTaskError  # noqa: PLC0415

        task = ray.remote(num_cpus=1)(run_single_threaded)
        refs = [ray.put(value) for value in shared]
        pending = {
            task.remote(fn, self.threads_per_task, item, *refs): index
            for index, item in enumerate(items)
        }
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    index = pending.pop(ref)
                    try:
                        yield Outcome(index, ray.get(ref))
                    except RayTaskError as error:
                        # The worker's own exception, not Ray's wrapper around it.
                        yield Outcome(index, error=error.cause or error)
        finally:
            for ref in pending:
                ray.cancel(ref)


Executor = LocalExecutor | RayExecutor


@dataclass(frozen=True)
class ExecutorSettings:
    """The ``executor`` parameters (see ``conf/ray/parameters_augmentation.yml``): where trainings run."""

    engine: str = "local"
    address: str | None = None  # Ray: null starts a local Ray; "auto" / "ray://<head>:10001"
    num_cpus: int | None = None  # the local Ray's CPUs; null: all of this machine's

    def __post_init__(self) -> None:
        check_choice("engine", self.engine, ENGINES)
        if self.address is not None and not isinstance(self.address, str):
            raise ParameterError("address", "must be an address string or null", self.address)
        check_int("num_cpus", self.num_cpus, minimum=1, optional=True)

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> ExecutorSettings:
        """Typed settings; a ``null`` engine is the local loop."""
        values = known_params(params, ("engine", "address", "num_cpus"), "executor")
        return cls(**{**values, "engine": values.get("engine") or "local"})

    def make(self) -> Executor:
        if self.engine == "local":
            return LocalExecutor()
        return RayExecutor(address=self.address, num_cpus=self.num_cpus)


def make_executor(params: Mapping[str, Any] | None) -> Executor:
    """From ``{engine: local | ray, address: ..., num_cpus: ...}`` (see conf/ray/parameters_augmentation.yml)."""
    try:
        return ExecutorSettings.from_params(params).make()
    except ParameterError as error:
        raise error.within("executor") from None
