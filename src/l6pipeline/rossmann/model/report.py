"""What a ``rossmann_model`` run reports: its metrics and summary by role, the worst stores, and
the figures drawn from the backtest and the served model (docs/rossmann_model.md)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from l6pipeline.core.params import Parameters, check_each, check_int, check_name
from l6pipeline.rossmann.model import plots
from l6pipeline.rossmann.model.ensemble import SalesEnsemble
from l6pipeline.rossmann.model.layout import STORE_INFO
from l6pipeline.rossmann.model.metrics import per_store_rmspe
from l6pipeline.rossmann.model.procedure import BacktestResult
from l6pipeline.rossmann.model.processors import TabularProcessor

logger = logging.getLogger(__name__)

HEADLINE = "mean exact RMSPE over the backtest windows (no choice was made on them)"
TUNING_NOTE = "chosen on these windows: optimistic, not a measure of the model"
# Prefixes of the metrics the summary groups under their own keys.
ROLES = ("backtest", "tuning", "choices", "seconds")


@dataclass(frozen=True)
class ReportConfig(Parameters, what="report"):
    """``rossmann_model.report``: rows of the worst-stores table, and the categorical variables
    whose learned embeddings are drawn."""

    worst_stores: int = 20
    embedding_plots: tuple[str, ...] = ("State", "Store", "DayOfWeek", "Month")

    def __post_init__(self) -> None:
        check_int("worst_stores", self.worst_stores, minimum=0)
        check_each(check_name, "embedding_plots", self.embedding_plots)
        object.__setattr__(self, "embedding_plots", tuple(self.embedding_plots))


def choice_spread(tuning: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Max minus min over the tuning windows of the blend weight and scale each window alone
    would have chosen."""
    return {
        name: max(t[f"alone_{name}"] for t in tuning.values())
        - min(t[f"alone_{name}"] for t in tuning.values())
        for name in ("blend_weight", "scale")
    }


def fit_seconds(result: BacktestResult, refit_seconds: Mapping[str, float]) -> dict:
    """Wall seconds of each fit's parts: every prefix's, and the refit's when there was one."""
    return {**result.seconds, **({"refit": dict(refit_seconds)} if refit_seconds else {})}


def flat_metrics(
    result: BacktestResult, refit_seconds: Mapping[str, float], refit_rows: int
) -> dict[str, float]:
    """Every figure of the run by name: ``backtest.*`` (windows no choice saw: the headline),
    ``tuning.*`` (the windows the choices were made on: optimistic), ``choices.*`` (made on
    every tuning window, used by the served model; ``choices.spread.*``: how far each window
    alone would have moved them), ``seconds.<fit>.<part>`` and the training totals."""
    flat: dict[str, float] = {f"backtest.{k}": v for k, v in result.mean.items()}
    for name, fold in result.folds.items():
        flat |= {f"backtest.{name}.{k}": v for k, v in fold.items()}
    for name, tuned in result.tuning.items():
        flat[f"tuning.{name}.rmspe"] = tuned["rmspe"]
    flat |= {f"choices.{k}": v for k, v in result.final_choices.as_dict().items()}
    flat |= {f"choices.spread.{k}": v for k, v in choice_spread(result.tuning).items()}
    seconds = fit_seconds(result, refit_seconds)
    flat |= {
        f"seconds.{fit}.{part}": v for fit, parts in seconds.items() for part, v in parts.items()
    }
    history = result.history
    return flat | {
        "networks": float(history["member"].nunique()),
        "training_seconds": float(history["seconds"].sum()),
        "seconds_per_epoch": float(history["seconds"].mean()),
        "refit_rows": float(refit_rows),
    }


def run_report(
    result: BacktestResult, trained_until: str, refit_rows: int, refit_seconds: Mapping[str, float]
) -> tuple[dict[str, float], dict]:
    """The run's metrics (:func:`flat_metrics`) and its summary: the headline, the backtest
    and tuning figures by window, the windows, the choices, the seconds and the totals."""
    flat = flat_metrics(result, refit_seconds, refit_rows)
    summary = {
        "headline": HEADLINE,
        "backtest_rmspe": result.mean["rmspe"],
        "backtest": result.folds,
        "tuning": {"note": TUNING_NOTE, **result.tuning},
        "windows": [window.as_dict() for window in result.windows],
        "choices": result.final_choices.as_dict(),
        "seconds": fit_seconds(result, refit_seconds),
        "trained_until": trained_until,
        **{k: v for k, v in flat.items() if not k.startswith(ROLES)},
    }
    logger.info(
        "backtest RMSPE %.4f (mean of %s); trained until %s",
        summary["backtest_rmspe"],
        ", ".join(f"{name} {fold['rmspe']:.4f}" for name, fold in result.folds.items()),
        trained_until,
    )
    return flat, summary


def worst_stores(predictions: pd.DataFrame, rows: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The ``top_n`` stores with the highest backtest RMSPE, with their type and state."""
    table = per_store_rmspe(predictions["Store"], predictions["Predicted"], predictions["Sales"])
    info = [c for c in STORE_INFO if c in rows.columns]
    if info:
        table = table.merge(rows[["Store", *info]].drop_duplicates("Store"), on="Store")
    return table.head(top_n)


def learning_curve_figure(history: pd.DataFrame, lightgbm: pd.DataFrame, summary: dict) -> Figure:
    """The curves of the prefix tuned on ``W1``, circling the epoch the served model keeps,
    with LightGBM's RMSPE there at the rounds it keeps."""
    prefix = history["prefix"].iloc[-1]
    last = history[history["prefix"] == prefix]
    kept = last["epoch"] == summary["choices"]["epoch"]
    rounds = int(summary["choices"]["rounds"])
    curve = lightgbm.loc[lightgbm["prefix"] == prefix, "rmspe"].to_numpy()
    lightgbm_rmspe = float(curve[rounds - 1]) if 0 < rounds <= len(curve) else None
    return plots.learning_curve(last.assign(kept=kept), lightgbm_rmspe)


def embedding_figure(
    model: SalesEnsemble, processors: dict, rows: pd.DataFrame, variables: Sequence[str]
) -> Figure:
    """2-D PCA of the first network's learned embeddings of ``variables`` (without ``#na#``).

    Stores are coloured by their state, so that the store map can be read against the
    state map (the entity-embedding paper's "map of Germany").
    """
    processor = TabularProcessor.from_dict(processors)
    network = model.networks[0]
    embeddings = {}
    for name in variables:
        if name not in processor.cat_names:
            logger.warning("no embedding for %r: not a categorical input", name)
            continue
        weights = network.embedding_weights(processor.cat_names.index(name))
        embeddings[name] = (weights[1:], processor.categorify.categories[name])
    store_groups = None
    if "Store" in embeddings and "State" in rows.columns:
        state_of = rows.drop_duplicates("Store").set_index("Store")["State"]
        store_groups = state_of.reindex(embeddings["Store"][1]).tolist()
    return plots.embedding_maps(embeddings, store_groups)
