"""Kedro adapters around :mod:`l6pipeline.rossmann.model`: parameters in, frames and figures out.

The domain code knows nothing of Kedro or MLflow; these nodes read parameters, log per-epoch
metrics and the served model to the active MLflow run (kedro-mlflow opens one per
``kedro run``), and leave every other artifact to catalog datasets.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

import mlflow
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from l6pipeline.core.nn import EpochResult, TrainConfig
from l6pipeline.core.nn.lr_finder import LRFinderConfig
from l6pipeline.core.params import ParameterError
from l6pipeline.core.tracking import child_run, log_artifact_dict, log_artifact_text, log_metrics
from l6pipeline.rossmann.features.recent import (
    RecentSalesConfig,
    recent_sales_columns,
    recent_sales_lag,
)
from l6pipeline.rossmann.model import plots
from l6pipeline.rossmann.model.backtest import SplitConfig, Window, rolling_windows
from l6pipeline.rossmann.model.ensemble import EnsembleConfig, SalesEnsemble
from l6pipeline.rossmann.model.lightgbm import LightGBMConfig
from l6pipeline.rossmann.model.metrics import per_store_rmspe
from l6pipeline.rossmann.model.procedure import BacktestResult, Procedure, final_model, run_backtest
from l6pipeline.rossmann.model.processors import TabularProcessor
from l6pipeline.rossmann.model.split import validation_size
from l6pipeline.rossmann.model.submission import kaggle_submission
from l6pipeline.rossmann.model.train import ModelConfig, predict_sales
from l6pipeline.rossmann.model.train import find_learning_rate as find_learning_rate_for
from l6pipeline.rossmann.serving import inference
from l6pipeline.rossmann.serving.mlflow_model import log_pipeline_model

logger = logging.getLogger(__name__)

METRIC_PREFIX = "rossmann_model"
ARTIFACT_DIR = "rossmann_model"  # the run's artifact folder for this pipeline
# Columns of the per-store table besides the metric: what a reader needs to judge a store.
STORE_INFO = ["StoreType", "Assortment", "State"]


def _columns(params: Mapping) -> list[str]:
    needed = ["Date", "Store", "Sales", *params["cat_vars"], *params["cont_vars"], *STORE_INFO]
    return list(dict.fromkeys(needed))


def _check_recent_sales_lag(
    windows: list[Window],
    window_rows: int | None,
    train: pd.DataFrame,
    test: pd.DataFrame,
    recent_params: Mapping,
) -> None:
    """A window longer than the recent-sales lag would let its late rows read sales from
    inside it: the backtest would not be a forecast."""
    lag = recent_sales_lag(train, test, recent_params)
    longest = max((w.end - w.start).days + 1 for w in windows)
    if longest > lag:
        raise ParameterError(
            "window_rows",
            f"gives windows of up to {longest} days, longer than the recent-sales lag of {lag} "
            "days (rossmann_data.recent_sales): lower window_rows or raise lag_days",
            window_rows,
        ).within("rossmann_model.split")


def select_rows(
    train_features: pd.DataFrame,
    test_features: pd.DataFrame,
    params: Mapping,
    recent_params: Mapping,
) -> tuple[pd.DataFrame, dict]:
    """The labelled rows (the columns the model reads) and the backtest windows cut from
    their end: ``backtest_folds`` windows to measure on and one before them to tune on."""
    split = SplitConfig.from_params(params["split"])
    columns = [c for c in _columns(params) if c in train_features.columns]
    rows = train_features[columns].sort_values(["Date", "Store"], ignore_index=True)
    window_rows = validation_size(split.window_rows, len(test_features))
    windows = rolling_windows(rows["Date"], window_rows, split.backtest_folds + 1)
    lagged = recent_sales_columns(RecentSalesConfig.from_params(recent_params).spans)
    if set(lagged) & set(columns):
        _check_recent_sales_lag(
            windows, split.window_rows, train_features, test_features, recent_params
        )
    for window in windows:
        logger.info(
            "window %s: %s..%s, %d rows",
            window.name,
            window.start.date(),
            window.end.date(),
            window.rows,
        )
    layout = {
        "window_rows": window_rows,
        "windows": [
            {"name": w.name, "start": str(w.start.date()), "end": str(w.end.date()), "rows": w.rows}
            for w in windows
        ],
    }
    return rows, layout


def _first_prefix(rows: pd.DataFrame, layout: dict) -> pd.DataFrame:
    """The rows before every window: where nothing of the backtest can be seen."""
    return rows.loc[rows["Date"] < pd.Timestamp(layout["windows"][0]["start"])]


def find_learning_rate(
    rows: pd.DataFrame,
    layout: dict,
    params: Mapping,
    model_params: Mapping,
    train_params: Mapping,
    finder_params: Mapping,
) -> tuple[dict, Figure]:
    """fast.ai's ``lr_find`` on a fresh network, on the rows before every window, so that the
    rate (a choice when ``lr: auto``) is made on data no backtest window holds."""
    sweep = LRFinderConfig.from_params(finder_params)
    config = TrainConfig.from_params({**train_params, "lr": 1.0})  # the sweep sets the rate
    prefix = _first_prefix(rows, layout)
    processor = TabularProcessor.fit(prefix, params["cat_vars"], params["cont_vars"])
    result = find_learning_rate_for(
        processor,
        (processor.transform(prefix), prefix["Sales"].to_numpy(np.float64)),
        ModelConfig.from_params(model_params),
        config,
        num_it=sweep.num_it,
        start_lr=sweep.start_lr,
        end_lr=sweep.end_lr,
    )
    found = result.to_dict(sweep.suggestion)
    logger.info(
        "LR finder: suggested lr %.2e (%s); %s",
        found["suggested_lr"],
        sweep.suggestion,
        ", ".join(f"{name} {lr:.2e}" for name, lr in result.suggestions.items()),
    )
    figure = plots.lr_finder_curve(result.lrs, result.losses, result.suggestions, sweep.suggestion)
    return found, figure


def build_procedure(
    params: Mapping,
    model_params: Mapping,
    train_params: Mapping,
    ensemble_params: Mapping,
    lightgbm_params: Mapping,
    lr_finder: dict,
) -> Procedure:
    """The typed settings every fit follows, built once for the backtest and the refit;
    ``lr: auto`` becomes the LR finder's suggestion. The kept epoch is a choice of the
    backtest, so ``monitor`` / ``patience`` are refused here."""
    for key in ("monitor", "patience"):
        if train_params.get(key) is not None:
            raise ParameterError(
                key,
                "the Rossmann model keeps the epoch chosen on the tuning window "
                "(docs/rossmann_model.md): leave it null",
                train_params[key],
            ).within("rossmann_model_train")
    config = TrainConfig.from_params(train_params)
    if config.lr == "auto":
        config = replace(config, lr=lr_finder["suggested_lr"])
        logger.info("lr: auto -> %.2e (the LR finder's suggestion)", config.lr)
    lightgbm = LightGBMConfig.from_params(lightgbm_params)
    try:
        lightgbm.categorical_among(params["cat_vars"])
    except ParameterError as error:
        raise error.within("rossmann_model_baseline") from None
    return Procedure(
        params["cat_vars"],
        params["cont_vars"],
        ModelConfig.from_params(model_params),
        config,
        EnsembleConfig.from_params(ensemble_params),
        lightgbm,
    )


def _log_epoch(label: str, member: int, result: EpochResult) -> None:
    """Each epoch to the console and, with its step, to the active MLflow run."""
    values = result.as_dict()
    log_metrics(values, step=result.epoch, prefix=f"{METRIC_PREFIX}.curve.{label}.{member}.")
    logger.info(
        "%s, network %d, epoch %d: train_loss %.5f, next window RMSPE %.4f",
        label,
        member,
        result.epoch + 1,
        result.train_loss,
        values.get("rmspe", float("nan")),
    )


def backtest(rows: pd.DataFrame, layout: dict, procedure: Procedure, refit: bool) -> BacktestResult:
    """The procedure on every prefix, oldest first: choices on each window, the backtest on
    the next (:func:`l6pipeline.rossmann.model.procedure.run_backtest`); one MLflow child run each."""
    return run_backtest(
        rows,
        procedure,
        layout["window_rows"],
        len(layout["windows"]) - 1,
        keep_last_states=not refit,
        track=child_run,
        on_epoch_end=_log_epoch,
    )


def refit_model(
    rows: pd.DataFrame, result: BacktestResult, procedure: Procedure, refit: bool
) -> tuple[SalesEnsemble, dict, dict]:
    """The model that predicts the test set: refitted on every labelled row with the choices
    made on the tuning windows (``rossmann_model_refit: true``), or the last prefix's model
    (false); its processors, and the refit's seconds per part (none without a refit)."""
    with child_run("refit" if refit else "last_prefix", {"refit": refit}):
        model, fit = final_model(rows, procedure, result, refit, on_epoch_end=_log_epoch)
    artifact = fit.processor.to_dict()
    log_artifact_dict(artifact, f"{ARTIFACT_DIR}/processors.json")
    return model, artifact, (fit.seconds if refit else {})


def report_metrics(
    result: BacktestResult, model: SalesEnsemble, rows: pd.DataFrame, refit_seconds: dict
) -> tuple[dict, dict]:
    """The run's metrics for MLflow and its summary, each figure named by its role:
    ``backtest.*`` (windows no choice saw: the headline), ``tuning.*`` (the windows the choices
    were made on: optimistic), ``choices.*`` (made on every tuning window, used by the served
    model; ``choices.spread.*``: how far each window alone would have moved them) and
    ``seconds.<fit>.<part>``."""
    headline = result.mean
    flat: dict[str, float] = {f"backtest.{k}": v for k, v in headline.items()}
    for name, fold in result.folds.items():
        flat |= {f"backtest.{name}.{k}": v for k, v in fold.items()}
    for name, tuned in result.tuning.items():
        flat[f"tuning.{name}.rmspe"] = tuned["rmspe"]
    flat |= {f"choices.{k}": v for k, v in result.final_choices.as_dict().items()}
    flat |= {f"choices.spread.{k}": v for k, v in choice_spread(result.tuning).items()}
    seconds = {**result.seconds, **({"refit": refit_seconds} if refit_seconds else {})}
    flat |= {
        f"seconds.{fit}.{part}": v for fit, parts in seconds.items() for part, v in parts.items()
    }
    history = result.history
    flat |= {
        "networks": float(history["member"].nunique()),
        "training_seconds": float(history["seconds"].sum()),
        "seconds_per_epoch": float(history["seconds"].mean()),
        "refit_rows": float(len(rows)),
    }
    tracked = {name: {"value": float(value), "step": 0} for name, value in flat.items()}
    summary = {
        "headline": "mean exact RMSPE over the backtest windows (no choice was made on them)",
        "backtest_rmspe": headline["rmspe"],
        "backtest": result.folds,
        "tuning": {
            "note": "chosen on these windows: optimistic, not a measure of the model",
            **result.tuning,
        },
        "windows": [
            {"name": w.name, "start": str(w.start.date()), "end": str(w.end.date()), "rows": w.rows}
            for w in result.windows
        ],
        "choices": result.final_choices.as_dict(),
        "seconds": seconds,
        "trained_until": model.trained_until,
        **{
            k: v
            for k, v in flat.items()
            if not k.startswith(("backtest", "tuning", "choices", "seconds"))
        },
    }
    logger.info(
        "backtest RMSPE %.4f (mean of %s); trained until %s",
        headline["rmspe"],
        ", ".join(f"{name} {fold['rmspe']:.4f}" for name, fold in result.folds.items()),
        model.trained_until,
    )
    return tracked, summary


def choice_spread(tuning: dict[str, dict[str, float]]) -> dict[str, float]:
    """Max minus min over the tuning windows of the blend weight and scale each window alone
    would have chosen."""
    return {
        name: max(t[f"alone_{name}"] for t in tuning.values())
        - min(t[f"alone_{name}"] for t in tuning.values())
        for name in ("blend_weight", "scale")
    }


def backtest_outputs(result: BacktestResult) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The backtest predictions, the networks' curves and LightGBM's curves, as tables."""
    return result.predictions, result.history, result.booster_curves


def worst_stores(predictions: pd.DataFrame, rows: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The ``top_n`` stores with the highest backtest RMSPE, with their type and state."""
    table = per_store_rmspe(predictions["Store"], predictions["Predicted"], predictions["Sales"])
    info = [c for c in STORE_INFO if c in rows.columns]
    if info:
        table = table.merge(rows[["Store", *info]].drop_duplicates("Store"), on="Store")
    return table.head(top_n)


def plot_learning_curve(history: pd.DataFrame, lightgbm: pd.DataFrame, summary: dict) -> Figure:
    """The curves of the prefix tuned on ``W1``, circling the epoch the served model keeps,
    with LightGBM's RMSPE there at the rounds it keeps."""
    prefix = history["prefix"].iloc[-1]
    last = history[history["prefix"] == prefix]
    kept = last["epoch"] == summary["choices"]["epoch"]
    rounds = int(summary["choices"]["rounds"])
    curve = lightgbm.loc[lightgbm["prefix"] == prefix, "rmspe"].to_numpy()
    baseline_rmspe = float(curve[rounds - 1]) if 0 < rounds <= len(curve) else None
    return plots.learning_curve(last.assign(kept=kept), baseline_rmspe)


def plot_predicted_vs_actual(predictions: pd.DataFrame, summary: dict) -> Figure:
    return plots.predicted_vs_actual(
        predictions["Sales"], predictions["Predicted"], summary["backtest_rmspe"]
    )


def plot_embeddings(
    model: SalesEnsemble, processors: dict, train: pd.DataFrame, variables: list[str]
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
    if "Store" in embeddings and "State" in train.columns:
        state_of = train.drop_duplicates("Store").set_index("Store")["State"]
        store_groups = state_of.reindex(embeddings["Store"][1]).tolist()
    return plots.embedding_maps(embeddings, store_groups)


def predict_test(model: SalesEnsemble, processors: dict, test: pd.DataFrame) -> pd.DataFrame:
    """The Kaggle submission (``Id,Sales``; days with ``Open == 0`` get 0), also logged to MLflow."""
    arrays = TabularProcessor.from_dict(processors).transform(test)
    submission = kaggle_submission(test, predict_sales(model, arrays))
    log_artifact_text(submission.to_csv(index=False), f"{ARTIFACT_DIR}/submission.csv")
    return submission


def log_model(
    model: SalesEnsemble,
    processors: dict,
    validated_train: pd.DataFrame,
    validated_test: pd.DataFrame,
    data_params: Mapping,
    name: str,
    **tables: pd.DataFrame,
) -> None:
    """Log the whole pipeline from raw rows as one MLflow model (if a run is active).

    The model (``name``, one pyfunc model, :mod:`l6pipeline.rossmann.serving`) takes rows shaped
    like Kaggle's test.csv and returns ``Id, Sales``; it carries this run's model and
    processors, the ``tables`` the feature chain's row steps read (``rossmann_data``'s store /
    trend / weather tables, by catalog name: :func:`~l6pipeline.rossmann.serving.inference.
    carried_tables`), ``rossmann_data``'s parameters, and the event history with the training
    sales (see ``docs/serving.md``).
    """
    if mlflow.active_run() is None:
        logger.info("no active MLflow run: the model is not logged to MLflow")
        return
    carried = {
        "rossmann_model": model,
        "rossmann_processors": processors,
        **tables,
        "rossmann_event_history": inference.event_history(validated_train, validated_test),
    }
    example = inference.serving_frame(validated_test.head(5))
    info = log_pipeline_model(carried, data_params, example, name)
    logger.info("logged the MLflow model %s (raw test-format rows in)", info.model_uri)
