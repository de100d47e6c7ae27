"""Rossmann raw CSV -> feature tables: wall time and peak RSS (goal: <= 6 s, <= 1.5 GB).

Every stage runs in a fresh Python process, so that each peak RSS is that stage's own:

- ``read_csv``     reference: plain ``pd.read_csv`` of the seven files, nothing else;
- ``pipeline``     what ``kedro run --pipelines rossmann_data`` computes, without Kedro:
                   the raw layer's reader + validation, the feature steps, two Parquet files;
- ``features``     the feature steps alone: validated Parquet in, feature Parquet out (what the
                   feature nodes do after ``rossmann_ingest``);
- ``lesson``       the notebook's own code (``tests/rossmann/features/lesson_port.py``: per-row
                   loop, ``apply(axis=1)``, suffix joins) on every 10th store, its time scaled
                   by the row ratio to the full data.

Data: the real files in ``../shared/data/rossmann`` when present, else Kaggle-scale synthetic
tables (1,115 stores) written as CSV by the raw layer's generator. Usage::

    .venv/bin/python benchmarks/bench_features.py [--repeat 3] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "rossmann"
TABLES = ("train", "test", "store", "store_states", "state_names", "googletrend", "weather")
LESSON_STORE_STEP = 10
GOAL_SECONDS = 6.0
GOAL_PEAK_MB = 1536.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _read_raw(data: Path) -> dict:
    from l6pipeline.rossmann.raw.csv_files import read_raw_csv

    return {table: read_raw_csv(data / f"{table}.csv") for table in TABLES}


def _write(train, test, out: Path) -> None:
    train.to_parquet(out / "train_features.parquet", index=False)
    test.to_parquet(out / "test_features.parquet", index=False)


def stage_read_csv(data: Path, out: Path) -> dict:
    import pandas as pd

    start, cpu = time.perf_counter(), time.process_time()
    frames = {table: pd.read_csv(data / f"{table}.csv", low_memory=False) for table in TABLES}
    return {
        "wall": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "rows": len(frames["train"]),
    }


def stage_pipeline(data: Path, out: Path) -> dict:
    from l6pipeline.pipelines.rossmann_data import build_feature_tables
    from l6pipeline.rossmann.raw.validation import validate_tables

    t0, cpu = time.perf_counter(), time.process_time()
    raw = _read_raw(data)
    t1 = time.perf_counter()
    validated = validate_tables(raw)
    del raw
    t2 = time.perf_counter()
    train, test = build_feature_tables(validated)
    t3 = time.perf_counter()
    _write(train, test, out)
    t4, cpu = time.perf_counter(), time.process_time() - cpu
    # keep the validated tables for the `features` stage
    for table, frame in validated.items():
        frame.to_parquet(out / f"validated_{table}.parquet", index=False)
    return {
        "wall": t4 - t0,
        "cpu": cpu,
        "read": t1 - t0,
        "validate": t2 - t1,
        "features": t3 - t2,
        "write": t4 - t3,
        "raw_train_rows": len(validated["train"]),
        "train_rows": len(train),
        "test_rows": len(test),
        "columns": train.shape[1],
    }


def stage_features(data: Path, out: Path) -> dict:
    import pandas as pd

    from l6pipeline.pipelines.rossmann_data import build_feature_tables

    t0, cpu = time.perf_counter(), time.process_time()
    validated = {t: pd.read_parquet(out / f"validated_{t}.parquet") for t in TABLES}
    t1 = time.perf_counter()
    train, test = build_feature_tables(validated)
    t2 = time.perf_counter()
    _write(train, test, out)
    t3, cpu = time.perf_counter(), time.process_time() - cpu
    return {
        "wall": t3 - t0,
        "cpu": cpu,
        "read": t1 - t0,
        "features": t2 - t1,
        "write": t3 - t2,
        "train_rows": len(train),
    }


def stage_lesson(data: Path, out: Path) -> dict:
    import pandas as pd

    sys.path.insert(0, str(ROOT))
    from tests.rossmann.features.lesson_port import lesson_tables

    validated = {t: pd.read_parquet(out / f"validated_{t}.parquet") for t in TABLES}
    full_rows = len(validated["train"]) + len(validated["test"])
    stores = set(range(1, int(validated["store"]["Store"].max()) + 1, LESSON_STORE_STEP))
    for table in ("train", "test"):
        frame = validated[table]
        validated[table] = frame[frame["Store"].isin(stores)].reset_index(drop=True)
    rows = len(validated["train"]) + len(validated["test"])
    start = time.perf_counter()
    train, _ = lesson_tables(validated)
    wall = time.perf_counter() - start
    return {
        "wall": wall,
        "wall_full_estimate": wall * full_rows / rows,
        "subset_rows": rows,
        "train_rows": len(train),
    }


STAGES = {
    "read_csv": stage_read_csv,
    "pipeline": stage_pipeline,
    "features": stage_features,
    "lesson": stage_lesson,
}


def run_stage(stage: str, data: Path, out: Path) -> dict:
    """One stage in a fresh interpreter; its result dict with the process's peak RSS."""
    cmd = [sys.executable, __file__, "--stage", stage, "--data", str(data), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"stage {stage} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def synthetic_csvs(folder: Path) -> Path:
    from l6pipeline.rossmann.raw.csv_files import write_raw_csv
    from l6pipeline.rossmann.raw.synthetic import generate_rossmann

    for table, frame in generate_rossmann({"n_stores": 1115}).items():
        write_raw_csv(frame, folder / f"{table}.csv", table)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=list(STAGES))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage (best is kept)")
    args = parser.parse_args()

    if args.stage:  # child process
        result = STAGES[args.stage](args.data, args.out)
        result["peak_mb"] = _peak_mb()
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if args.data:
            data, source = args.data, f"files in {args.data}"
        elif (SHARED / "train.csv").exists():
            data, source = SHARED, f"real files in {SHARED}"
        else:
            data = synthetic_csvs(tmp_path / "raw")
            source = "Kaggle-scale synthetic tables (1,115 stores; ../shared not found)"
        out = tmp_path / "out"
        out.mkdir()
        print(f"data: {source}")
        print(f"load average before: {os.getloadavg()[0]:.2f} (2-core machine: measure when < 1)")

        results = {}
        for stage in ("read_csv", "pipeline", "features"):
            runs = [run_stage(stage, data, out) for _ in range(args.repeat)]
            results[stage] = min(runs, key=lambda r: r["wall"])
            results[stage]["peak_mb"] = max(r["peak_mb"] for r in runs)
        results["lesson"] = run_stage("lesson", data, out)

        pipe, feats, lesson, read = (
            results["pipeline"],
            results["features"],
            results["lesson"],
            results["read_csv"],
        )
        print(
            f"rows: train.csv {pipe['raw_train_rows']:,} -> training features "
            f"{pipe['train_rows']:,} x {pipe['columns']} columns; test features "
            f"{pipe['test_rows']:,}"
        )
        print(
            f"best of {args.repeat} (wall; CPU seconds of the process beside it), worst peak RSS:"
        )
        print(
            f"  pd.read_csv of the 7 files  {read['wall']:6.2f} s  (cpu {read['cpu']:5.2f})  peak {read['peak_mb']:6.0f} MB"
        )
        print(
            f"  raw -> features (pipeline)  {pipe['wall']:6.2f} s  (cpu {pipe['cpu']:5.2f})  peak {pipe['peak_mb']:6.0f} MB"
            f"   [read {pipe['read']:.2f} + validate {pipe['validate']:.2f}"
            f" + features {pipe['features']:.2f} + write {pipe['write']:.2f}]"
        )
        print(
            f"  validated -> features       {feats['wall']:6.2f} s  (cpu {feats['cpu']:5.2f})  peak {feats['peak_mb']:6.0f} MB"
            f"   [read {feats['read']:.2f} + features {feats['features']:.2f}"
            f" + write {feats['write']:.2f}]"
        )
        print(
            f"  lesson notebook code        {lesson['wall_full_estimate']:6.2f} s  (measured "
            f"{lesson['wall']:.2f} s on {lesson['subset_rows']:,} rows = every "
            f"{LESSON_STORE_STEP}th store, scaled by rows; peak {lesson['peak_mb']:.0f} MB "
            "on the subset)"
        )
        print(
            f"ratios: pipeline / read_csv {pipe['wall'] / read['wall']:.1f}x; "
            f"lesson / feature steps {lesson['wall_full_estimate'] / pipe['features']:.0f}x; "
            f"lesson / pipeline {lesson['wall_full_estimate'] / pipe['wall']:.1f}x"
        )
        ok_time = pipe["wall"] <= GOAL_SECONDS
        ok_mem = pipe["peak_mb"] <= GOAL_PEAK_MB
        print(
            f"goal <= {GOAL_SECONDS:.0f} s and <= {GOAL_PEAK_MB / 1024:.1f} GB (raw -> features): "
            f"time {'met' if ok_time else 'NOT met'}, memory {'met' if ok_mem else 'NOT met'}"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
