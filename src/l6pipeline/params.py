"""Turning Kedro parameter dicts into typed settings, and checking them before a run starts.

No Kedro import here. One pattern for every parameter block: a typed config (``TrainConfig``,
``ModelConfig``, ``ImageData``, ...) builds itself with ``from_params`` through
:func:`known_params` (an unknown key is a typo, never dropped) and checks its values with
:func:`check_int` / :func:`check_number` / :func:`check_choice` (each a :class:`ParameterError`).
Each pipeline package says which config checks which of its blocks, in its ``parameters.py``
(``PARAMETERS``: dotted key -> validator); :func:`check_parameters` (called by a hook when a run
starts, before the first node) runs the validator of every block the run's pipeline reads, so
``batch_size: -1`` or ``epochz: 3`` is reported at once, with its full dotted name, instead of
minutes later inside torch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from l6pipeline.errors import UserInputError

Validator = Callable[[Any], object]

_UNSET = object()


class ParameterError(UserInputError):
    """A parameter the run cannot use: ``keys`` (dotted names below ``block``), the offending
    ``value`` and the ``rule`` it breaks, e.g. ``rossmann_model_train.batch_size = -1: must be an
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
    """Run the validator of every key of ``validators`` (dotted, e.g. ``cnn.classifier.train``)
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
            problems.append(exc.within(key))
        except (ValueError, TypeError) as exc:
            problems.append(ParameterError("", str(exc), block=key))
    if problems:
        raise RejectedParameters(problems)
