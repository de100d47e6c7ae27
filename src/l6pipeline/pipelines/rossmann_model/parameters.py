"""The typed ``rossmann_model`` parameters and their rules across blocks, checked before a run
(docs/rossmann_model.md#parameters)."""

from __future__ import annotations

from dataclasses import dataclass

from l6pipeline.core.nn.lr_finder import LRFinderConfig
from l6pipeline.core.nn.training import TrainConfig
from l6pipeline.core.params import (
    ParameterError,
    Parameters,
    Validator,
    check_choice,
    check_each,
    check_name,
    nested,
)
from l6pipeline.rossmann.model.backtest import SplitConfig
from l6pipeline.rossmann.model.ensemble import EnsembleConfig
from l6pipeline.rossmann.model.lightgbm import LightGBMConfig
from l6pipeline.rossmann.model.processors import na_flag
from l6pipeline.rossmann.model.report import ReportConfig
from l6pipeline.rossmann.model.train import ModelConfig


@dataclass(frozen=True)
class RossmannModelParameters(Parameters, what="rossmann_model"):
    """``rossmann_model``: the variables, the windows, the network, its training and LR finder,
    the ensemble, the refit, LightGBM and the report; every block is required."""

    cat_vars: tuple[str, ...]
    cont_vars: tuple[str, ...]
    split: SplitConfig
    report: ReportConfig
    network: ModelConfig
    train: TrainConfig
    lr_finder: LRFinderConfig
    ensemble: EnsembleConfig
    refit: bool
    lightgbm: LightGBMConfig

    def __post_init__(self) -> None:
        for key in ("cat_vars", "cont_vars"):
            check_each(check_name, key, getattr(self, key))
            object.__setattr__(self, key, tuple(getattr(self, key)))
        check_choice("refit", self.refit, (True, False))
        self._check_variables()
        self._check_epoch_choice()
        nested("lightgbm", self.lightgbm.categorical_among, self.cat_vars)

    def _check_variables(self) -> None:
        """A variable is categorical or continuous; an embedding width names a categorical
        input (a categorical variable, or a continuous one's missing-value flag)."""
        both = sorted(set(self.cat_vars) & set(self.cont_vars))
        if both:
            raise ParameterError(
                ["cat_vars", "cont_vars"],
                "both name these variables: a variable is either categorical or continuous",
                both,
            )
        inputs = {*self.cat_vars, *map(na_flag, self.cont_vars)}
        unknown = sorted(set(self.network.emb_sizes) - inputs)
        if unknown:
            raise ParameterError(
                "network.emb_sizes",
                "names variables that are not categorical inputs (cat_vars, or a continuous "
                f"variable's missing-value flag, e.g. {na_flag('CompetitionDistance')})",
                unknown,
            )

    def _check_epoch_choice(self) -> None:
        """The kept epoch is a choice of the backtest (the tuning window): no early stopping."""
        for key in ("monitor", "patience"):
            value = getattr(self.train, key)
            if value is not None:
                raise ParameterError(
                    f"train.{key}",
                    "the Rossmann model keeps the epoch chosen on the tuning window "
                    "(docs/rossmann_model.md): leave it null",
                    value,
                )


PARAMETERS: dict[str, Validator] = {"rossmann_model": RossmannModelParameters.from_params}
