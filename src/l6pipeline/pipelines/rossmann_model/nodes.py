"""Kedro adapters around :mod:`l6pipeline.tabular`: parameters in, frames and figures out.

The domain code knows nothing of Kedro or MLflow; these nodes read parameters, log per-epoch
metrics and the served model to the active MLflow run (kedro-mlflow opens one per
``kedro run``), and leave every other artifact to catalog datasets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import replace

import lightgbm as lgb
import mlflow
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from l6pipeline.nn import EpochResult, TrainConfig
from l6pipeline.nn.lr_finder import LRFinderConfig
from l6pipeline.serving import inference
from l6pipeline.serving.mlflow_model import log_pipeline_model
from l6pipeline.tabular import baseline, plots
from l6pipeline.tabular.baseline import LightGBMConfig
from l6pipeline.tabular.ensemble import EnsembleConfig, SalesEnsemble, fit_ensemble
from l6pipeline.tabular.metrics import batched_exp_rmspe, per_store_rmspe, rmspe
from l6pipeline.tabular.model import TabularModel
from l6pipeline.tabular.processors import TabularProcessor
from l6pipeline.tabular.split import time_split_mask, validation_size
from l6pipeline.tabular.submission import kaggle_submission
from l6pipeline.tabular.train import (
    ModelConfig,
    member_seeds,
    predict_sales,
    train_entity_model,
)
from l6pipeline.tabular.train import find_learning_rate as find_learning_rate_for
from l6pipeline.tracking import (
    child_run,
    epoch_logger,
    log_artifact_dict,
    log_artifact_text,
    log_metrics,
)

logger = logging.getLogger(__name__)

METRIC_PREFIX = "rossmann_model"
ARTIFACT_DIR = "rossmann_model"  # the run's artifact folder for this pipeline
# Columns of the per-store table besides the metric: what a reader needs to judge a store.
STORE_INFO = ["StoreType", "Assortment", "State"]


def _columns(params: Mapping) -> list[str]:
    needed = ["Date", "Store", "Sales", *params["cat_vars"], *params["cont_vars"], *STORE_INFO]
    return list(dict.fromkeys(needed))


def split_by_date(
    train_features: pd.DataFrame, test_features: pd.DataFrame, params: Mapping
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The latest dates holding about as many rows as the test set become validation."""
    columns = [c for c in _columns(params) if c in train_features.columns]
    n_valid = validation_size(params["split"]["valid_rows"], len(test_features))
    mask = time_split_mask(train_features["Date"], n_valid)
    train = train_features.loc[~mask, columns].reset_index(drop=True)
    valid = train_features.loc[mask, columns].reset_index(drop=True)
    logger.info(
        "time split: %d training rows %s..%s, %d validation rows %s..%s (test set: %d rows)",
        len(train),
        train["Date"].min().date(),
        train["Date"].max().date(),
        len(valid),
        valid["Date"].min().date(),
        valid["Date"].max().date(),
        len(test_features),
    )
    return train, valid


def fit_processors(
    train: pd.DataFrame, valid: pd.DataFrame, test: pd.DataFrame, params: Mapping
) -> tuple[dict, dict]:
    """FillMissing -> Categorify -> Normalize fitted on the training split, applied to every split.

    Returns the processors as a JSON-able dict (the versioned ``rossmann_processors`` dataset,
    also logged to the active MLflow run) and ``{split: (arrays, sales or None)}``. Fitting and
    applying are one node so that the artifact and the arrays come from the same object and
    the graph's layers flow forward (model_input -> models, not back).
    """
    processor = TabularProcessor.fit(train, params["cat_vars"], params["cont_vars"])
    logger.info(
        "processors: %d categorical inputs (%s added by FillMissing), %d continuous",
        len(processor.cat_names),
        ", ".join(processor.fill_missing.flag_columns) or "none",
        len(processor.cont_vars),
    )
    artifact = processor.to_dict()
    log_artifact_dict(artifact, f"{ARTIFACT_DIR}/processors.json")
    inputs = {
        "train": (processor.transform(train), train["Sales"].to_numpy(np.float64)),
        "valid": (processor.transform(valid), valid["Sales"].to_numpy(np.float64)),
        "test": (processor.transform(test), None),
    }
    return artifact, inputs


def _epoch_reporter(n_epochs: int, member: int):
    """Log each epoch to MLflow (with ``step``) and to the console; time the epochs."""
    log_to_mlflow = epoch_logger(prefix=f"{METRIC_PREFIX}.curve.")
    rows: list[dict] = []
    last = [time.perf_counter()]

    def report(result: EpochResult) -> None:
        now = time.perf_counter()
        row = {"member": member, "epoch": result.epoch, **result.as_dict()}
        rows.append({**row, "seconds": now - last[0]})
        last[0] = now
        log_to_mlflow(result)
        logger.info(
            "network %d, epoch %d/%d: train_loss %.5f valid_loss %.5f valid RMSPE %.4f (%.1f s)",
            member,
            result.epoch + 1,
            n_epochs,
            result.train_loss,
            result.valid_loss,
            result.metrics["rmspe"],
            rows[-1]["seconds"],
        )

    return report, rows


def _train_config(train_params: Mapping, lr_finder: dict) -> TrainConfig:
    """The training settings, with ``lr: auto`` replaced by the LR finder's suggestion."""
    config = TrainConfig.from_params(train_params)
    if config.lr == "auto":
        config = replace(config, lr=lr_finder["suggested_lr"])
        logger.info("lr: auto -> %.2e (the LR finder's suggestion)", config.lr)
    return config


def find_learning_rate(
    processors: dict, inputs: dict, model_params: Mapping, train_params: Mapping, params: Mapping
) -> tuple[dict, Figure]:
    """fast.ai's ``lr_find`` on a fresh copy of the network: the sweep and its suggestions."""
    sweep = LRFinderConfig.from_params(params)
    method = sweep.suggestion
    config = TrainConfig.from_params({**train_params, "lr": 1.0})  # the sweep sets the rate
    result = find_learning_rate_for(
        TabularProcessor.from_dict(processors),
        inputs["train"],
        ModelConfig.from_params(model_params),
        config,
        num_it=sweep.num_it,
        start_lr=sweep.start_lr,
        end_lr=sweep.end_lr,
    )
    found = result.to_dict(method)
    logger.info(
        "LR finder: suggested lr %.2e (%s); %s",
        found["suggested_lr"],
        method,
        ", ".join(f"{name} {lr:.2e}" for name, lr in result.suggestions.items()),
    )
    figure = plots.lr_finder_curve(result.lrs, result.losses, result.suggestions, method)
    return found, figure


def train_networks(
    processors: dict,
    inputs: dict,
    model_params: Mapping,
    train_params: Mapping,
    members: int,
    lr_finder: dict,
) -> tuple[list[TabularModel], pd.DataFrame]:
    """One-cycle training of ``members`` networks (seeds ``seed, seed + 1, ...``), each in its
    own MLflow child run; returns them and their learning curves (column ``member``)."""
    processor = TabularProcessor.from_dict(processors)
    base = _train_config(train_params, lr_finder)
    model_config = ModelConfig.from_params(model_params)
    networks, rows = [], []
    for member, seed in enumerate(member_seeds(base.seed, members)):
        config = replace(base, seed=seed)
        report, member_rows = _epoch_reporter(config.epochs, member)
        with child_run(f"network_{member}", {"seed": seed, "lr": config.lr}):
            model, history = train_entity_model(
                processor, inputs["train"], inputs["valid"], model_config, config, report
            )
            kept = next(result for result in history if result.kept)
            log_metrics(
                {"kept_epoch": kept.epoch, "rmspe": kept.metrics["rmspe"]},
                prefix=f"{METRIC_PREFIX}.",
            )
        for row, result in zip(member_rows, history, strict=True):
            row["kept"] = result.kept
        networks.append(model)
        rows += member_rows
    return networks, pd.DataFrame(rows)


def train_baseline(
    processors: dict, inputs: dict, params: Mapping
) -> tuple[lgb.Booster, dict, pd.DataFrame]:
    """LightGBM on the same processed features and split, its rounds early-stopped on the
    validation RMSPE: the booster, its metrics and its validation curve (RMSPE per round)."""
    config = LightGBMConfig.from_params(params)
    processor = TabularProcessor.from_dict(processors)
    names = (processor.cat_names, processor.cont_vars)
    (train_x, train_sales), (valid_x, valid_sales) = inputs["train"], inputs["valid"]
    curve: list[float] = []
    start = time.perf_counter()
    booster = baseline.train_lightgbm(
        (baseline.feature_frame(train_x, *names), train_sales),
        processor.cat_names,
        num_boost_round=config.num_boost_round,
        params=config.lgb_params,
        seed=config.seed,
        valid=(baseline.feature_frame(valid_x, *names), valid_sales),
        early_stopping_rounds=config.early_stopping_rounds,
        curve=curve,
    )
    seconds = time.perf_counter() - start
    predicted = baseline.predict_lightgbm(booster, baseline.feature_frame(valid_x, *names))
    result = {
        "baseline_lgbm_rmspe": rmspe(predicted, valid_sales),
        "baseline_lgbm_seconds": seconds,
        "baseline_lgbm_rounds": float(booster.best_iteration or booster.current_iteration()),
    }
    logger.info(
        "LightGBM: validation RMSPE %.4f (%d rounds, %.1f s)",
        result["baseline_lgbm_rmspe"],
        result["baseline_lgbm_rounds"],
        seconds,
    )
    # Rounds are about equally long: the time axis of the curve is interpolated.
    rounds = np.arange(1, len(curve) + 1)
    history = pd.DataFrame(
        {"round": rounds, "rmspe": curve, "seconds": seconds * rounds / max(len(curve), 1)}
    )
    return booster, result, history


def build_ensemble(
    networks: list[TabularModel],
    booster: lgb.Booster,
    processors: dict,
    inputs: dict,
    params: Mapping,
) -> tuple[SalesEnsemble, dict]:
    """The networks averaged in log space; with ``blend_lightgbm``, blended with LightGBM by the
    weight that minimizes the validation RMSPE; with ``calibrate``, scaled by the RMSPE-optimal
    factor (see :mod:`l6pipeline.tabular.ensemble`)."""
    config = EnsembleConfig.from_params(params)
    processor = TabularProcessor.from_dict(processors)
    ensemble, metrics = fit_ensemble(
        networks,
        booster if config.blend_lightgbm else None,
        (processor.cat_names, processor.cont_vars),
        inputs["valid"],
        calibrate=config.calibrate,
    )
    logger.info(
        "%d network(s) averaged: validation RMSPE %.4f; LightGBM weight %.2f, scale %.3f",
        len(networks),
        metrics["networks_rmspe"],
        ensemble.blend_weight,
        ensemble.scale,
    )
    return ensemble, metrics


def evaluate_model(
    model: SalesEnsemble, inputs: dict, valid: pd.DataFrame
) -> tuple[pd.DataFrame, dict]:
    """Validation predictions and the model's metrics (exact RMSPE is the headline)."""
    arrays, sales = inputs["valid"]
    predicted = predict_sales(model, arrays)
    predictions = valid[["Date", "Store", "Sales"]].assign(Predicted=predicted)
    metrics = {
        "rmspe": rmspe(predicted, sales),
        # fast.ai's exp_rmspe: mean of per-batch RMSPEs (batches of 64 in row order).
        "exp_rmspe_fastai_batched": batched_exp_rmspe(np.log(predicted), np.log(sales)),
        "train_rows": float(len(inputs["train"][1])),
        "valid_rows": float(len(sales)),
    }
    logger.info(
        "validation RMSPE %.4f (exact, whole set); fast.ai's per-batch exp_rmspe %.4f",
        metrics["rmspe"],
        metrics["exp_rmspe_fastai_batched"],
    )
    return predictions, metrics


def report_metrics(
    model_metrics: dict,
    ensemble_metrics: dict,
    history: pd.DataFrame,
    baseline_metrics: dict,
    valid: pd.DataFrame,
) -> tuple[dict, dict]:
    """The run's metrics for MLflow, and a readable summary (with the validation window)."""
    seconds_per_epoch = float(history["seconds"].mean())
    merged = {
        **model_metrics,
        **ensemble_metrics,
        "networks": float(history["member"].nunique()),
        "epochs_trained": float(len(history)),
        "training_seconds": float(history["seconds"].sum()),
        "seconds_per_epoch": seconds_per_epoch,
        "train_rows_per_second": model_metrics["train_rows"] / seconds_per_epoch,
        **baseline_metrics,
    }
    tracked = {name: {"value": float(value), "step": 0} for name, value in merged.items()}
    summary = {
        "headline": "exact validation RMSPE over the whole validation set",
        **{name: float(value) for name, value in merged.items()},
        "validation_window": [str(valid["Date"].min().date()), str(valid["Date"].max().date())],
    }
    return tracked, summary


def worst_stores(predictions: pd.DataFrame, valid: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The ``top_n`` stores with the highest validation RMSPE, with their type and state."""
    table = per_store_rmspe(predictions["Store"], predictions["Predicted"], predictions["Sales"])
    info = [c for c in STORE_INFO if c in valid.columns]
    if info:
        table = table.merge(valid[["Store", *info]].drop_duplicates("Store"), on="Store")
    return table.head(top_n)


def plot_learning_curve(history: pd.DataFrame, baseline_metrics: dict) -> Figure:
    return plots.learning_curve(history, baseline_metrics["baseline_lgbm_rmspe"])


def plot_predicted_vs_actual(predictions: pd.DataFrame, metrics: dict) -> Figure:
    return plots.predicted_vs_actual(
        predictions["Sales"], predictions["Predicted"], metrics["rmspe"]
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


def predict_test(model: SalesEnsemble, inputs: dict, test: pd.DataFrame) -> pd.DataFrame:
    """The Kaggle submission (``Id,Sales``; days with ``Open == 0`` get 0), also logged to MLflow."""
    arrays, _ = inputs["test"]
    submission = kaggle_submission(test, predict_sales(model, arrays))
    log_artifact_text(submission.to_csv(index=False), f"{ARTIFACT_DIR}/submission.csv")
    return submission


def log_model(
    model: SalesEnsemble,
    processors: dict,
    store: pd.DataFrame,
    state_trend: pd.DataFrame,
    national_trend: pd.DataFrame,
    weather: pd.DataFrame,
    validated_train: pd.DataFrame,
    validated_test: pd.DataFrame,
    data_params: Mapping,
    name: str,
) -> None:
    """Log the whole pipeline from raw rows as one MLflow model (if a run is active).

    The model (``name``, a kedro-mlflow ``KedroPipelineModel``) takes rows shaped
    like Kaggle's test.csv and returns ``Id, Sales``; it carries this run's model and
    processors, ``rossmann_data``'s joined store / trend / weather tables and parameters, and
    the event history (see ``docs/serving.md``).
    """
    if mlflow.active_run() is None:
        logger.info("no active MLflow run: the model is not logged to MLflow")
        return
    carried = {
        "rossmann_model": model,
        "rossmann_processors": processors,
        "rossmann_store": store,
        "rossmann_trend_state": state_trend,
        "rossmann_trend_national": national_trend,
        "rossmann_weather": weather,
        "rossmann_event_history": inference.event_history(validated_train, validated_test),
    }
    example = inference.serving_frame(validated_test.head(5))
    info = log_pipeline_model(carried, data_params, example, name)
    logger.info("logged the MLflow model %s (raw test-format rows in)", info.model_uri)
