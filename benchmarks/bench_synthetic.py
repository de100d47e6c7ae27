"""Synthetic Rossmann data at Kaggle scale: generation, CSV writing, validation; time and memory.

Usage: ``python benchmarks/bench_synthetic.py [--stores 1115] [--repeat 3]``

Generates the seven tables at Kaggle scale (1,115 stores, 2013-01-01 .. 2015-07-31, 48 test
days) and prints the wall time (best of ``--repeat``), the peak memory (tracemalloc in one extra
run, and the process' peak RSS), the rows per table; then the time to write the files in the
Kaggle / fast.ai formats, read them back and validate them. References measured in the same
run: writing the same train frame with plain ``DataFrame.to_csv``, and reading the real
train.csv with plain ``pandas.read_csv`` (when ``../shared`` is there), with the ratios.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from l6pipeline.rossmann.raw.csv_files import read_raw_csv, write_raw_csv
from l6pipeline.rossmann.raw.schemas import TABLES, file_name
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from l6pipeline.rossmann.raw.validation import validate_tables

REAL_TRAIN = Path(__file__).resolve().parents[1].parent / "shared/data/rossmann/train.csv"


def rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(func: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs (s) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def traced_peak(func: Callable[[], object]) -> float:
    """Peak memory traced by tracemalloc (numpy buffers included, Arrow's not), MiB."""
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=1115)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    params = {"n_stores": args.stores, "start_date": "2013-01-01", "end_date": "2015-07-31"}
    base_rss = rss_mib()

    seconds, tables = timed(lambda: generate_rossmann(params), args.repeat)
    generate_rss = rss_mib()
    peak = traced_peak(lambda: generate_rossmann(params))
    rows = {name: len(frame) for name, frame in tables.items()}
    print(f"generate {args.stores} stores, 2013-01-01..2015-07-31 + 48 test days")
    print(
        f"  wall {seconds:.2f} s (best of {args.repeat}), {rows['train'] / seconds:,.0f} train rows/s"
    )
    print(
        f"  peak memory: {peak:.0f} MiB traced (tracemalloc); process RSS {base_rss:.0f} -> "
        f"{generate_rss:.0f} MiB"
    )
    print("  rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def write_all() -> None:
            for name in TABLES:
                write_raw_csv(tables[name], folder / file_name(name), name)

        write_s, _ = timed(write_all)
        size = sum((folder / file_name(name)).stat().st_size for name in TABLES) / 2**20
        print(f"write the 7 CSV files in the Kaggle formats: {write_s:.2f} s, {size:.1f} MiB")
        train_s, _ = timed(lambda: write_raw_csv(tables["train"], folder / "train.csv", "train"))
        plain_s, _ = timed(lambda: tables["train"].to_csv(folder / "plain.csv", index=False))
        print(
            f"  reference, same run: train.csv ours {train_s:.2f} s vs plain DataFrame.to_csv "
            f"{plain_s:.2f} s (ratio {train_s / plain_s:.2f})"
        )
        read_s, raw = timed(lambda: {n: read_raw_csv(folder / file_name(n)) for n in TABLES})
        validate_s, _ = timed(lambda: validate_tables(raw))
        print(f"read back as text: {read_s:.2f} s; validate: {validate_s:.2f} s")

    if REAL_TRAIN.exists():
        real_s, real = timed(lambda: pd.read_csv(REAL_TRAIN, dtype={"StateHoliday": str}))
        print(
            f"reference, same run: pandas.read_csv of the real train.csv ({len(real):,} rows) "
            f"{real_s:.2f} s; generating all seven tables took {seconds / real_s:.2f}x that"
        )
    else:
        print("reference: ../shared/data/rossmann/train.csv not found, skipped")
    print(f"process peak RSS: {rss_mib():.0f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
