"""Entity-embedding model on the real Rossmann files: s/epoch, rows/s, peak RSS, exact RMSPE.

Stages, in one process (peak RSS is printed as the process's high-water mark after each):

1. ``features``  the project's own raw reader, validation and feature functions (no Kedro) on
                 the real files in ``../shared/data/rossmann`` (or ``--data``);
2. ``processors`` the time split (validation = the latest dates holding as many rows as
                 test.csv) and FillMissing / Categorify / Normalize fitted on the training split;
3. ``lesson``    speed at the lesson's settings: batch size 64, layers [1000, 500], one epoch
                 (``--lesson-epochs``), compared with fast.ai's ``tabular_learner`` at about
                 160 s/epoch on these 2-core machines. That reference is the figure given in the
                 issue; fast.ai is not installed here, so it is quoted, not measured;
4. ``tuned``     the real-data settings of ``conf/kaggle/parameters_rossmann_model.yml`` (read
                 with Kedro's config loader, so the pipeline and this script train alike):
                 s/epoch, rows/s, exact validation RMSPE per epoch and at the end;
5. ``baseline``  LightGBM on the same processed features and split.

Goals (2-core CPU): exact validation RMSPE <= 0.100 within <= 10 minutes of training; at the
lesson's settings an epoch >= 2x faster than fast.ai's (<= 80 s). Usage::

    .venv/bin/python benchmarks/bench_tabular.py [--skip-lesson] [--epochs N] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "rossmann"
TABLES = ("train", "test", "store", "store_states", "state_names", "googletrend", "weather")
FASTAI_SECONDS_PER_EPOCH = 160.0  # fast.ai tabular_learner, bs 64, here (from the issue)
GOAL_RMSPE = 0.100
GOAL_TRAIN_SECONDS = 600.0
GOAL_SPEEDUP = 2.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def build_features(data: Path | None):
    """(train features, test features, source) from raw CSVs, with the project's own code."""
    from l6pipeline.rossmann.features import build_feature_tables
    from l6pipeline.rossmann.raw_io import read_raw_csv
    from l6pipeline.rossmann.validation import validate_tables

    if data is None and (SHARED / "train.csv").exists():
        data = SHARED
    if data is not None:
        raw = {table: read_raw_csv(data / f"{table}.csv") for table in TABLES}
        source = f"real files in {data}"
    else:
        from l6pipeline.rossmann.synthetic import generate_rossmann

        raw = generate_rossmann({"n_stores": 1115})
        source = "Kaggle-scale synthetic tables (../shared not found): RMSPE not comparable"
    train, test = build_feature_tables(validate_tables(raw))
    return train, test, source


def kaggle_parameters() -> dict:
    from kedro.config import OmegaConfigLoader

    loader = OmegaConfigLoader(
        conf_source=str(ROOT / "conf"), base_env="base", default_run_env="kaggle"
    )
    parameters = loader["parameters"]
    return {
        **parameters["rossmann_model"],
        "train": parameters["rossmann_model_train"],
        "baseline": parameters["rossmann_model_baseline"],
    }


def train_and_time(label, processor, train, valid, model_config, train_config):
    """Train; print each epoch; return (model, seconds per epoch, total seconds)."""
    from l6pipeline.tabular.train import train_entity_model

    n_rows = len(train[1])
    print(
        f"[{label}] batch size {train_config.batch_size}, lr {train_config.lr}, wd "
        f"{train_config.wd}, {train_config.epochs} epoch(s), layers {list(model_config.layers)}, "
        f"threads {train_config.num_threads or 'default'}",
        flush=True,
    )
    marks = [time.perf_counter()]

    def on_epoch_end(result) -> None:
        marks.append(time.perf_counter())
        seconds = marks[-1] - marks[-2]
        print(
            f"  epoch {result.epoch + 1:2d}: {seconds:6.1f} s  {n_rows / seconds:8,.0f} rows/s  "
            f"train_loss {result.train_loss:.5f}  valid_loss {result.valid_loss:.5f}  "
            f"exact valid RMSPE {result.metrics['rmspe']:.4f}",
            flush=True,
        )

    model, _ = train_entity_model(
        processor, train, valid, model_config, train_config, on_epoch_end=on_epoch_end
    )
    per_epoch = np.diff(marks)
    return model, float(per_epoch.mean()), float(marks[-1] - marks[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder with the seven raw CSV files")
    parser.add_argument("--skip-lesson", action="store_true", help="no bs-64 speed check")
    parser.add_argument("--lesson-epochs", type=int, default=1)
    parser.add_argument("--epochs", type=int, help="override the tuned run's epochs")
    parser.add_argument("--threads", type=int, help="override the CPU thread count")
    args = parser.parse_args()

    from l6pipeline.nn import TrainConfig
    from l6pipeline.tabular import baseline
    from l6pipeline.tabular.metrics import batched_exp_rmspe, rmspe
    from l6pipeline.tabular.processors import TabularProcessor
    from l6pipeline.tabular.split import time_split_mask, validation_size
    from l6pipeline.tabular.train import ModelConfig, predict_sales

    print(f"load average before: {os.getloadavg()[0]:.2f} (2-core machine: measure when < 1)")
    params = kaggle_parameters()

    start = time.perf_counter()
    features, test, source = build_features(args.data)
    print(
        f"[features] {source}: {len(features):,} training rows (Sales != 0), {len(test):,} test "
        f"rows in {time.perf_counter() - start:.1f} s; peak RSS {peak_mb():,.0f} MB"
    )

    start = time.perf_counter()
    n_valid = validation_size(params["split"]["valid_rows"], len(test))
    mask = time_split_mask(features["Date"], n_valid)
    train_rows, valid_rows = features[~mask], features[mask]
    del features
    processor = TabularProcessor.fit(train_rows, params["cat_vars"], params["cont_vars"])
    train = (processor.transform(train_rows), train_rows["Sales"].to_numpy(np.float64))
    valid = (processor.transform(valid_rows), valid_rows["Sales"].to_numpy(np.float64))
    print(
        f"[processors] {len(train[1]):,} training rows to {train_rows['Date'].max().date()}, "
        f"{len(valid[1]):,} validation rows {valid_rows['Date'].min().date()}.."
        f"{valid_rows['Date'].max().date()}; {len(processor.cat_names)} categorical + "
        f"{len(processor.cont_vars)} continuous inputs in {time.perf_counter() - start:.1f} s; "
        f"peak RSS {peak_mb():,.0f} MB"
    )

    model_config = ModelConfig.from_params(params["model"])
    tuned = TrainConfig.from_params({**params["train"], "progress": False})
    if args.epochs:
        tuned = replace(tuned, epochs=args.epochs)
    if args.threads:
        tuned = replace(tuned, num_threads=args.threads)

    lesson_epoch = None
    if not args.skip_lesson:
        lesson = replace(
            tuned, epochs=args.lesson_epochs, batch_size=64, lr=1e-3, wd=0.2, pct_start=0.3
        )
        lesson_model = replace(model_config, layers=(1000, 500), ps=(0.001, 0.01), emb_drop=0.04)
        _, lesson_epoch, _ = train_and_time("lesson", processor, train, valid, lesson_model, lesson)
        print(f"  peak RSS {peak_mb():,.0f} MB")

    model, tuned_epoch, tuned_total = train_and_time(
        "tuned", processor, train, valid, model_config, tuned
    )
    predicted = predict_sales(model, valid[0], device=tuned.device)
    net_rmspe = rmspe(predicted, valid[1])
    fastai_rmspe = batched_exp_rmspe(np.log(predicted), np.log(valid[1]))
    print(f"  peak RSS {peak_mb():,.0f} MB")

    start = time.perf_counter()
    names = (processor.cat_names, processor.cont_vars)
    booster = baseline.train_lightgbm(
        (baseline.feature_frame(train[0], *names), train[1]),
        processor.cat_names,
        num_boost_round=params["baseline"]["num_boost_round"],
        params=params["baseline"].get("lgb_params"),
        seed=params["baseline"].get("seed", 42),
    )
    lgb_seconds = time.perf_counter() - start
    lgb_rmspe = rmspe(
        baseline.predict_lightgbm(booster, baseline.feature_frame(valid[0], *names)), valid[1]
    )
    print(
        f"[baseline] LightGBM, {params['baseline']['num_boost_round']} rounds: exact valid "
        f"RMSPE {lgb_rmspe:.4f} in {lgb_seconds:.1f} s; peak RSS {peak_mb():,.0f} MB"
    )

    print("\nsummary")
    print(
        f"  tuned network: exact validation RMSPE {net_rmspe:.4f} (fast.ai's per-batch "
        f"exp_rmspe {fastai_rmspe:.4f}) after {tuned_total:.0f} s of training, "
        f"{tuned_epoch:.1f} s/epoch, {len(train[1]) / tuned_epoch:,.0f} rows/s"
    )
    print(f"  LightGBM baseline: exact validation RMSPE {lgb_rmspe:.4f} in {lgb_seconds:.0f} s")
    met = net_rmspe <= GOAL_RMSPE and tuned_total <= GOAL_TRAIN_SECONDS
    print(
        f"  goal RMSPE <= {GOAL_RMSPE} within {GOAL_TRAIN_SECONDS / 60:.0f} min of training: "
        f"{'met' if met else 'NOT met'}"
    )
    if lesson_epoch is not None:
        speedup = FASTAI_SECONDS_PER_EPOCH / lesson_epoch
        print(
            f"  lesson settings (bs 64): {lesson_epoch:.1f} s/epoch, "
            f"{len(train[1]) / lesson_epoch:,.0f} rows/s = {speedup:.1f}x fast.ai's "
            f"~{FASTAI_SECONDS_PER_EPOCH:.0f} s/epoch (quoted from the issue, not measured): goal "
            f">= {GOAL_SPEEDUP:.0f}x {'met' if speedup >= GOAL_SPEEDUP else 'NOT met'}"
        )
    print(f"  peak RSS {peak_mb():,.0f} MB")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
