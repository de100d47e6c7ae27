"""Typed parameter blocks: building them from parameter mappings, and checking them all before a
run starts (the contract is described in docs/architecture.md#parameters)."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import numbers
import typing
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Self, TypeVar

from l6pipeline.core.errors import UserInputError

Validator = Callable[[Any], object]
F = TypeVar("F", bound=Callable[..., Any])

_UNSET = object()


class ParameterError(UserInputError):
    """A parameter the run cannot use: ``keys`` (dotted names below ``block``), the offending
    ``value`` and the ``rule`` it breaks, e.g. ``rossmann_model.train.batch_size = -1: must be an
    integer >= 1``."""

    def __init__(
        self, keys: str | Sequence[str], rule: str, value: Any = _UNSET, block: str = ""
    ) -> None:
        self.keys = (keys,) if isinstance(keys, str) else tuple(keys)
        self.rule, self.value, self.block = rule, value, block
        names = ", ".join(".".join(part for part in (block, key) if part) for key in self.keys)
        shown = "" if value is _UNSET else f" = {value!r}"
        super().__init__(f"{names}{shown}: {rule}")

    def within(self, block: str) -> ParameterError:
        """The same error with ``block`` (a dotted parameter name) in front of its keys."""
        outer = ".".join(part for part in (block, self.block) if part)
        return ParameterError(self.keys, self.rule, self.value, outer)


class ParameterErrors(ParameterError):
    """Several :class:`ParameterError`\\ s of one block, found together: every field of a
    :class:`Parameters` is built, so one run names every problem of the block."""

    def __init__(self, problems: Sequence[ParameterError]) -> None:
        self.problems = [one for problem in problems for one in each_problem(problem)]
        first = self.problems[0]
        super().__init__(first.keys, first.rule, first.value, first.block)
        self.args = ("; ".join(str(problem) for problem in self.problems),)

    def within(self, block: str) -> ParameterErrors:
        """The same errors, each with ``block`` in front of its keys."""
        return ParameterErrors([problem.within(block) for problem in self.problems])


def raise_all(problems: Sequence[ParameterError]) -> None:
    """Raise every problem found at once: the one alone, several as :class:`ParameterErrors`."""
    if problems:
        raise problems[0] if len(problems) == 1 else ParameterErrors(problems)


def each_problem(error: ParameterError) -> list[ParameterError]:
    """The single errors of ``error``: its ``problems`` when it holds several, else itself."""
    return list(error.problems) if isinstance(error, ParameterErrors) else [error]


class RejectedParameters(UserInputError):
    """Every :class:`ParameterError` of a run, found before its first node."""

    def __init__(self, problems: Sequence[ParameterError]) -> None:
        self.problems = list(problems)
        super().__init__(
            "Parameters rejected before the run started (nothing ran): "
            + "; ".join(str(problem) for problem in self.problems)
            + ". Fix the value in conf/<env>/parameters_*.yml or in `--params`."
        )


def known_params(params: Mapping[str, Any] | None, known: Iterable[str], what: str) -> dict:
    """``params`` as a dict, or a :class:`ParameterError` naming every unknown key and the
    known ones: typos fail loudly instead of silently leaving a default in place."""
    params = dict(params or {})
    known = sorted(known)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ParameterError(
            unknown, f"unknown {what} parameters (a typo?); the known keys are {', '.join(known)}"
        )
    return params


def nested(block: str, build: Callable[[Any], Any], params: Any) -> Any:
    """``build(params)`` for a sub-block of a config, its :class:`ParameterError` named below
    ``block`` (``train.epochs`` rather than ``epochs``)."""
    try:
        return build(params)
    except ParameterError as error:
        raise error.within(block) from None


def is_config(annotation: Any) -> bool:
    """Is ``annotation`` a typed parameter block (a class that builds itself with ``from_params``)?"""
    return inspect.isclass(annotation) and callable(getattr(annotation, "from_params", None))


class Parameters:
    """A frozen dataclass of one parameter block: typed configs (built by their own
    ``from_params``, their errors named below the field) and scalars that ``__post_init__``
    checks, with the rules across its fields. ``what`` names the block in the unknown-key error:
    ``class TrainConfig(Parameters, what="training")``."""

    what: ClassVar[str] = ""

    def __init_subclass__(cls, what: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.what = what or cls.__name__

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> Self:
        """The typed parameters from a parameter mapping; an unknown key is a typo. Every field
        is built before any problem is raised, so all of them are named at once."""
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        given = known_params(params, [field.name for field in fields], cls.what)
        missing = [
            field.name
            for field in fields
            if field.name not in given
            and field.default is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise ParameterError(missing, "missing: these keys have no default")
        hints = typing.get_type_hints(cls)
        built, problems = {}, []
        for name, value in given.items():
            try:
                built[name] = (
                    nested(name, hints[name].from_params, value)
                    if is_config(hints[name])
                    else value
                )
            except ParameterError as error:
                problems.append(error)
        raise_all(problems)
        return cls(**built)


def takes_configs(func: F) -> F:
    """``func`` that also accepts each typed-config argument as its parameter mapping (what Kedro
    passes for ``params:<block>``), built with the annotated class's ``from_params``."""
    configs = {name: hint for name, hint in typing.get_type_hints(func).items() if is_config(hint)}
    signature = inspect.signature(func)

    @functools.wraps(func)
    def with_configs(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        for name, config in configs.items():
            value = bound.arguments.get(name)
            if name in bound.arguments and not isinstance(value, config):
                bound.arguments[name] = config.from_params(value)
        return func(*bound.args, **bound.kwargs)

    # What the wrapper takes: the mapping. Kedro 1.x builds a params input annotated with a
    # dataclass itself (``cls(**mapping)``: nested configs left as dicts, its own error
    # message); it reads these annotations, so it passes the mapping on to ``from_params``.
    # ``inspect.unwrap`` still finds ``func`` with its typed annotations.
    with_configs.__annotations__ = {
        **func.__annotations__,
        **{name: Mapping[str, Any] for name in configs},
    }
    return typing.cast(F, with_configs)


# -- value checks (for the configs' __post_init__) -----------------------------------------------


def _is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _rule(kind: str, bounds: list[str], words: Collection[str], optional: bool) -> str:
    rule = f"must be {kind}" + (" " + " and ".join(bounds) if bounds else "")
    alternatives = [repr(word) for word in words] + (["null"] if optional else [])
    return rule + "".join(f" or {alternative}" for alternative in alternatives)


def check_int(
    key: str,
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    optional: bool = False,
) -> None:
    """``value`` is an integer in ``[minimum, maximum]`` (``None`` too when ``optional``)."""
    if optional and value is None:
        return
    ok = (
        _is_integer(value)
        and (minimum is None or value >= minimum)
        and (maximum is None or value <= maximum)
    )
    if not ok:
        bounds = [f">= {minimum}"] * (minimum is not None) + [f"<= {maximum}"] * (
            maximum is not None
        )
        raise ParameterError(key, _rule("an integer", bounds, (), optional), value)


def check_number(
    key: str,
    value: Any,
    *,
    above: float | None = None,
    minimum: float | None = None,
    below: float | None = None,
    maximum: float | None = None,
    words: Collection[str] = (),
    optional: bool = False,
) -> None:
    """``value`` is a finite number within the bounds given (``above``/``below`` exclusive,
    ``minimum``/``maximum`` inclusive), or one of ``words`` (e.g. ``"auto"``), or ``None``
    when ``optional``."""
    if (optional and value is None) or (isinstance(value, str) and value in words):
        return
    limits = [
        (above, ">", lambda v, b: v > b),
        (minimum, ">=", lambda v, b: v >= b),
        (below, "<", lambda v, b: v < b),
        (maximum, "<=", lambda v, b: v <= b),
    ]
    given = [(bound, sign, test) for bound, sign, test in limits if bound is not None]
    if not (_is_number(value) and all(test(value, bound) for bound, _, test in given)):
        bounds = [f"{sign} {bound}" for bound, sign, _ in given]
        raise ParameterError(key, _rule("a number", bounds, words, optional), value)


def check_choice(key: str, value: Any, choices: Collection[Any]) -> None:
    """``value`` is one of ``choices``."""
    if value not in choices:
        raise ParameterError(key, f"must be one of {', '.join(map(repr, choices))}", value)


def check_name(key: str, value: Any) -> None:
    """``value`` is a non-empty string (a column or variable name)."""
    if not isinstance(value, str) or not value:
        raise ParameterError(key, "must be a non-empty name", value)


def check_each(check: Callable[..., None], key: str, values: Any, **bounds: Any) -> None:
    """``check`` on every item of a list parameter (``ps[1]`` names the item)."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise ParameterError(key, "must be a list", values)
    for i, value in enumerate(values):
        check(f"{key}[{i}]", value, **bounds)


# -- the run-start check ------------------------------------------------------------------


def _related(key: str, used: str) -> bool:
    """The pipeline reads ``used`` (``parameters``: all of them); is ``key`` part of it, or
    is ``used`` part of the block at ``key``?"""
    return used in ("parameters", key) or key.startswith(used + ".") or used.startswith(key + ".")


def _lookup(parameters: Mapping[str, Any], key: str) -> Any:
    value: Any = parameters
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _UNSET
        value = value[part]
    return value


def check_parameters(
    parameters: Mapping[str, Any], used: Iterable[str], validators: Mapping[str, Validator]
) -> None:
    """Run the validator of every key of ``validators`` (a pipeline's block, e.g. ``cnn``)
    related to the parameters a run reads (``used``: dotted names, as in Kedro's
    ``params:<name>`` inputs); raise one :class:`RejectedParameters` listing every problem."""
    used = list(used)
    problems: list[ParameterError] = []
    for key, validator in sorted(validators.items()):
        value = _lookup(parameters, key)
        if value is _UNSET or not any(_related(key, name) for name in used):
            continue
        try:
            validator(value)
        except ParameterError as exc:
            problems.extend(each_problem(exc.within(key)))
        except (ValueError, TypeError) as exc:
            problems.append(ParameterError("", str(exc), block=key))
    if problems:
        raise RejectedParameters(problems)
