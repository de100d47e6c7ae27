"""Rossmann features at 1x, 10x and 30x the Kaggle store count: pandas vs Dask, time and memory.

Usage: ``python benchmarks/bench_scale.py [--scales 1,10,30] [--budget-gib 6]
[--worker-memory 2GiB] [--partitions-per-scale 2]``

The synthetic generator makes the tables at Kaggle scale (1,115 stores, 2013-01-01 ..
2015-07-31 + 48 test days) once per 1x "chunk", each chunk with its own seed and store numbers
(chunk k has stores k * 1115 + 1 ...; the state-level tables, weather and Google trend, are
chunk 0's), written as typed Parquet, one file per chunk, in a temporary folder. Scale s reads
the first s chunks. For each scale, two measurements, each in its own subprocess so that its
peak memory is its own:

- pandas: read the files into one pandas table per table, ``build_feature_tables``, write the
  two feature tables as Parquet (what ``kedro run --pipelines rossmann_data`` does after
  validation);
- Dask: a ``LocalCluster`` of 2 worker processes (1 thread each, ``--worker-memory`` each),
  ``dd.read_parquet`` of the files (one partition per file), ``build_feature_tables`` with
  ``--partitions-per-scale`` x scale partitions of whole stores, written part by part with
  ``to_parquet`` (what ``kedro run --env dask`` does).

Reported: wall time, peak RSS summed over the measured process and its children (sampled ten
times a second; the Dask workers are children), and the feature rows written. Both paths get
the same memory budget (``--budget-gib``, for the sum): a measurement that goes above it is
stopped and reported as out of memory, instead of letting the machine swap or kill something
else. The reference for each figure is the other path at the same scale, in the same run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

KAGGLE_STORES = 1115
PERIOD = {"start_date": "2013-01-01", "end_date": "2015-07-31"}
PER_CHUNK = ("train", "test", "store", "store_states")
SHARED = ("state_names", "googletrend", "weather")
SAMPLE_SECONDS = 0.1


def generate(folder: Path, chunks: int) -> None:
    """Chunk k of the synthetic tables as ``<table>/part.<k>.parquet`` (shared ones once)."""
    from l6pipeline.rossmann.raw.synthetic import generate_rossmann

    for chunk in range(chunks):
        tables = generate_rossmann({"n_stores": KAGGLE_STORES, "seed": 1000 + chunk, **PERIOD})
        offset = chunk * KAGGLE_STORES
        for name in PER_CHUNK:
            frame = tables[name].assign(Store=tables[name]["Store"] + offset)
            if name == "test":
                frame = frame.assign(Id=frame["Id"] + chunk * 10**6)
            (folder / name).mkdir(exist_ok=True)
            frame.to_parquet(folder / name / f"part.{chunk}.parquet", index=False)
        if chunk == 0:
            for name in SHARED:
                tables[name].to_parquet(folder / f"{name}.parquet", index=False)


def small_tables(folder: Path, chunks: int) -> dict[str, pd.DataFrame]:
    """store, store_states (first ``chunks`` chunks) and the shared tables, as pandas."""
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in SHARED}
    for name in ("store", "store_states"):
        parts = [folder / name / f"part.{k}.parquet" for k in range(chunks)]
        tables[name] = pd.concat(map(pd.read_parquet, parts), ignore_index=True)
    return tables


def row_files(folder: Path, name: str, chunks: int) -> list[str]:
    return [str(folder / name / f"part.{k}.parquet") for k in range(chunks)]


def measure_pandas(folder: Path, chunks: int, out: Path) -> dict:
    from l6pipeline.pipelines.rossmann_data import build_feature_tables

    tables = small_tables(folder, chunks)
    for name in ("train", "test"):
        parts = row_files(folder, name, chunks)
        tables[name] = pd.concat(map(pd.read_parquet, parts), ignore_index=True)
    train, test = build_feature_tables(tables)
    train.to_parquet(out / "train_features.parquet", index=False)
    test.to_parquet(out / "test_features.parquet", index=False)
    return {"train_rows": len(train), "test_rows": len(test)}


def measure_dask(folder: Path, chunks: int, out: Path, worker_memory: str, partitions: int) -> dict:
    import dask
    import dask.dataframe as dd
    import pyarrow.parquet as pq
    from distributed import Client, LocalCluster

    from l6pipeline.pipelines.rossmann_data import build_feature_tables

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        memory_limit=worker_memory,
        dashboard_address=None,
        local_directory=str(out / "dask-scratch"),
    )
    with cluster, Client(cluster):
        tables = small_tables(folder, chunks)
        for name in ("train", "test"):
            tables[name] = dd.read_parquet(row_files(folder, name, chunks))
        train, test = build_feature_tables(tables, partitions=partitions)
        writes = [
            frame.to_parquet(out / f"{name}_features", write_index=False, compute=False)
            for name, frame in (("train", train), ("test", test))
        ]
        dask.compute(*writes)  # one graph: the shared event features are computed once

    def rows(name: str) -> int:
        parts = (out / f"{name}_features").glob("*.parquet")
        return sum(pq.read_metadata(part).num_rows for part in parts)

    return {"train_rows": rows("train"), "test_rows": rows("test"), "partitions": partitions}


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run_measurement(args: list[str], budget: int) -> dict:
    """Run one measurement subprocess, sampling its tree's RSS; stop it above ``budget``."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process, peak, over = psutil.Process(child.pid), 0, False
    while child.poll() is None:
        try:
            peak = max(peak, tree_rss(process))
        except psutil.NoSuchProcess:
            break
        if peak > budget:
            over = True
            for proc in [*process.children(recursive=True), process]:
                proc.kill()
            break
        time.sleep(SAMPLE_SECONDS)
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - start
    result = {"wall_s": wall, "peak_gib": peak / 2**30}
    if over:
        return {
            **result,
            "status": f"out of memory (> {budget / 2**30:.1f} GiB) after {wall:.0f} s",
        }
    if child.returncode != 0:
        return {**result, "status": "failed: " + (stderr.strip().splitlines() or ["?"])[-1]}
    return {**result, "status": "ok", **json.loads(stdout.strip().splitlines()[-1])}


def describe(result: dict) -> str:
    if result["status"] != "ok":
        return f"{result['status']}, peak {result['peak_gib']:.2f} GiB"
    return (
        f"{result['wall_s']:7.1f} s, peak RSS {result['peak_gib']:5.2f} GiB, "
        f"rows train {result['train_rows']:,} test {result['test_rows']:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,30", help="store counts in Kaggle units")
    parser.add_argument("--budget-gib", type=float, default=6.0, help="memory budget per path")
    parser.add_argument("--worker-memory", default="2GiB", help="Dask memory_limit per worker")
    parser.add_argument("--partitions-per-scale", type=int, default=2)
    parser.add_argument("--measure", choices=["pandas", "dask"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--chunks", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure == "pandas":
        print(json.dumps(measure_pandas(args.data, args.chunks, args.out)))
        return
    if args.measure == "dask":
        partitions = args.partitions_per_scale * args.chunks
        result = measure_dask(args.data, args.chunks, args.out, args.worker_memory, partitions)
        print(json.dumps(result))
        return

    scales = sorted({int(scale) for scale in args.scales.split(",")})
    budget = int(args.budget_gib * 2**30)
    print(
        f"memory budget per path {args.budget_gib:.1f} GiB (RSS summed over processes); Dask: "
        f"2 workers x 1 thread, {args.worker_memory} each, "
        f"{args.partitions_per_scale} store partitions per 1x"
    )
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        start = time.perf_counter()
        generate(data, max(scales))
        size = sum(f.stat().st_size for f in data.rglob("*.parquet")) / 2**20
        print(
            f"generated {max(scales)} x {KAGGLE_STORES} stores as Parquet: {size:,.0f} MiB in "
            f"{time.perf_counter() - start:.0f} s"
        )
        for scale in scales:
            print(f"{scale}x ({scale * KAGGLE_STORES:,} stores)", flush=True)
            for path in ("pandas", "dask"):
                out = Path(tmp) / f"{path}-{scale}"
                out.mkdir()
                measured = run_measurement(
                    [
                        f"--measure={path}",
                        f"--data={data}",
                        f"--chunks={scale}",
                        f"--out={out}",
                        f"--worker-memory={args.worker_memory}",
                        f"--partitions-per-scale={args.partitions_per_scale}",
                    ],
                    budget,
                )
                print(f"  {path:6} {describe(measured)}", flush=True)
                subprocess.run(["rm", "-rf", str(out)], check=True)


if __name__ == "__main__":
    main()
