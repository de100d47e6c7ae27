"""Kedro adapters around :mod:`l6pipeline.rossmann.model`: typed parameters in, frames and
figures out.

The domain code knows nothing of Kedro or MLflow; these nodes take the typed parameters
(:mod:`.parameters`), log per-epoch metrics and the served model to the active MLflow run
(kedro-mlflow opens one per ``kedro run``), and leave every other artifact to catalog datasets.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import mlflow
import pandas as pd
from matplotlib.figure import Figure

from l6pipeline.core.nn import EpochResult
from l6pipeline.core.params import takes_configs
from l6pipeline.core.tracking import (
    child_run,
    epoch_logger,
    log_artifact_dict,
    log_artifact_text,
)
from l6pipeline.pipelines.rossmann_model.parameters import RossmannModelParameters
from l6pipeline.rossmann.features.parameters import RossmannDataParameters
from l6pipeline.rossmann.features.recent import RecentSalesConfig
from l6pipeline.rossmann.model import layout, plots, report
from l6pipeline.rossmann.model.ensemble import SalesEnsemble
from l6pipeline.rossmann.model.procedure import BacktestResult, Procedure, final_model, run_backtest
from l6pipeline.rossmann.model.processors import TabularProcessor
from l6pipeline.rossmann.model.submission import kaggle_submission
from l6pipeline.rossmann.model.train import predict_sales, sweep_learning_rate
from l6pipeline.rossmann.serving import inference
from l6pipeline.rossmann.serving.mlflow_model import log_pipeline_model

logger = logging.getLogger(__name__)

METRIC_PREFIX = "rossmann_model"
ARTIFACT_DIR = "rossmann_model"  # the run's artifact folder for this pipeline


@takes_configs
def select_rows(
    train_features: pd.DataFrame,
    test_features: pd.DataFrame,
    params: RossmannModelParameters,
    recent_sales: RecentSalesConfig,
) -> tuple[pd.DataFrame, dict]:
    """The labelled rows and the layout of the backtest windows cut from their end
    (:func:`l6pipeline.rossmann.model.layout.select_rows`)."""
    return layout.select_rows(
        train_features,
        test_features,
        params.cat_vars,
        params.cont_vars,
        params.split,
        recent_sales,
    )


@takes_configs
def find_learning_rate(
    rows: pd.DataFrame, windows: dict, params: RossmannModelParameters
) -> tuple[dict, Figure]:
    """fast.ai's ``lr_find`` on a fresh network, on the rows before every window, so that the
    rate (a choice when ``lr: auto``) is made on data no backtest window holds."""
    sweep = params.lr_finder
    result = sweep_learning_rate(
        layout.first_prefix(rows, windows),
        params.cat_vars,
        params.cont_vars,
        params.network,
        params.train,
        sweep,
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


@takes_configs
def build_procedure(params: RossmannModelParameters, lr_finder: dict) -> Procedure:
    """The typed settings every fit follows, built once for the backtest and the refit;
    ``lr: auto`` becomes the LR finder's suggestion."""
    train = params.train
    if train.lr == "auto":
        train = replace(train, lr=lr_finder["suggested_lr"])
        logger.info("lr: auto -> %.2e (the LR finder's suggestion)", train.lr)
    return Procedure(
        params.cat_vars, params.cont_vars, params.network, train, params.ensemble, params.lightgbm
    )


def _log_epoch(label: str, member: int, result: EpochResult) -> None:
    """Each epoch to the console and, with its step, to the active MLflow run."""
    epoch_logger(f"{METRIC_PREFIX}.curve.{label}.{member}.")(result)
    # The refit has no next window to measure on: its lines show the training loss alone.
    rmspe = result.metrics.get("rmspe")
    measured = f", next window RMSPE {rmspe:.4f}" if rmspe is not None else ""
    logger.info(
        "%s, network %d, epoch %d: train_loss %.5f%s",
        label,
        member,
        result.epoch + 1,
        result.train_loss,
        measured,
    )


def backtest(
    rows: pd.DataFrame, windows: dict, procedure: Procedure, refit: bool
) -> BacktestResult:
    """The procedure on every prefix, oldest first: choices on each window, the backtest on
    the next (:func:`l6pipeline.rossmann.model.procedure.run_backtest`); one MLflow child run each."""
    return run_backtest(
        rows,
        procedure,
        windows["window_rows"],
        len(windows["windows"]) - 1,
        keep_last_states=not refit,
        track=child_run,
        on_epoch_end=_log_epoch,
    )


def refit_model(
    rows: pd.DataFrame, result: BacktestResult, procedure: Procedure, refit: bool
) -> tuple[SalesEnsemble, dict, dict]:
    """The model that predicts the test set: refitted on every labelled row with the choices
    made on the tuning windows (``rossmann_model.refit: true``), or the last prefix's model
    (false); its processors, and the refit's seconds per part (none without a refit)."""
    with child_run("refit" if refit else "last_prefix", {"refit": refit}):
        model, fit = final_model(rows, procedure, result, refit, on_epoch_end=_log_epoch)
    artifact = fit.processor.to_dict()
    log_artifact_dict(artifact, f"{ARTIFACT_DIR}/processors.json")
    return model, artifact, (fit.seconds if refit else {})


def report_metrics(
    result: BacktestResult, model: SalesEnsemble, rows: pd.DataFrame, refit_seconds: dict
) -> tuple[dict, dict]:
    """The run's metrics for MLflow (each at step 0) and its summary
    (:func:`l6pipeline.rossmann.model.report.run_report`)."""
    flat, summary = report.run_report(result, model.trained_until, len(rows), refit_seconds)
    return {name: {"value": float(value), "step": 0} for name, value in flat.items()}, summary


def backtest_outputs(result: BacktestResult) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The backtest predictions, the networks' curves and LightGBM's curves, as tables."""
    return result.predictions, result.history, result.booster_curves


def plot_predicted_vs_actual(predictions: pd.DataFrame, summary: dict) -> Figure:
    return plots.predicted_vs_actual(
        predictions["Sales"], predictions["Predicted"], summary["backtest_rmspe"]
    )


@takes_configs
def plot_embeddings(
    model: SalesEnsemble, processors: dict, rows: pd.DataFrame, settings: report.ReportConfig
) -> Figure:
    """The learned embeddings of ``report.embedding_plots``
    (:func:`l6pipeline.rossmann.model.report.embedding_figure`)."""
    return report.embedding_figure(model, processors, rows, settings.embedding_plots)


def predict_test(model: SalesEnsemble, processors: dict, test: pd.DataFrame) -> pd.DataFrame:
    """The Kaggle submission (``Id,Sales``; days with ``Open == 0`` get 0), also logged to MLflow."""
    arrays = TabularProcessor.from_dict(processors).transform(test)
    submission = kaggle_submission(test, predict_sales(model, arrays))
    log_artifact_text(submission.to_csv(index=False), f"{ARTIFACT_DIR}/submission.csv")
    return submission


@takes_configs
def log_model(
    model: SalesEnsemble,
    processors: dict,
    validated_train: pd.DataFrame,
    validated_test: pd.DataFrame,
    data_params: RossmannDataParameters,
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
