"""fast.ai v2's ``tabular_learner`` for bench_tabular.py: one backtest fold, or rows/s.

Run by the Python of a venv with fastai (``FASTAI_PY``, see ../shared/peers/README.md), never by
the project's: bench_tabular.py starts it as a subprocess, one fold per process, and reads the
last line it prints (JSON)::

    $FASTAI_PY benchmarks/fastai_peer.py fold FEATURES.parquet START END [--epochs 5]
    $FASTAI_PY benchmarks/fastai_peer.py throughput FEATURES.parquet --rows 100000 \
        --layers 1000,500 --bs 64

``fold`` is ../shared/peers/fastai_tabular.py with the lesson's settings unchanged (variables,
procs ``FillMissing, Categorify, Normalize``, layers [1000, 500], ps [0.001, 0.01], embed_p 0.04,
y_range ``(0, log(1.2 * max))``, ``fit_one_cycle(epochs, 1e-3, wd=0.2)``, bs 64, Sales > 0,
``torch.manual_seed(0)``): trained on every row before START, measured on START..END. What
differs, each to keep the memory bounded and the figures per epoch:

- the parquet file is read with only the columns the model reads and rows up to END (the
  shared script reads every column and row, then copies: ~2 GB at its start);
- the ``Sales`` column is float32 before ``TabularPandas`` (the shared script: ``log`` of a
  float32 Series, the same values);
- the exact RMSPE (float64, over the whole window) is computed after every epoch from the
  validation pass fastai makes anyway, and the last epoch's is the result: no extra
  ``get_preds`` pass at the end (the figure is the same, the model is in eval mode for both);
- ``gc.collect()`` after every epoch, and a guard: the resident size is read every 500 batches
  and past ``--max-rss-gb`` (12) the run stops with a message instead of taking the
  machine's memory (the shared script was seen at 15.6 GB after 3 epochs, 22.8 GB after 5);
- ``--train-rows N`` trains on the last N rows before START only (small profiling runs).

``throughput`` trains one epoch on the last ``--rows`` labelled rows (after ``--warmup``
batches that are not timed) and prints training rows/s and the network's Linear shapes (for
the FLOPs per row).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time

import numpy as np
import pandas as pd
import torch

CAT = ["Store", "DayOfWeek", "Year", "Month", "Day", "StateHoliday", "CompetitionMonthsOpen",
       "Promo2Weeks", "StoreType", "Assortment", "PromoInterval", "CompetitionOpenSinceYear",
       "Promo2SinceYear", "State", "Week", "Events", "Promo_fw", "Promo_bw", "StateHoliday_fw",
       "StateHoliday_bw", "SchoolHoliday_fw", "SchoolHoliday_bw"]  # fmt: skip
CONT = ["CompetitionDistance", "Max_TemperatureC", "Mean_TemperatureC", "Min_TemperatureC",
        "Max_Humidity", "Mean_Humidity", "Min_Humidity", "Max_Wind_SpeedKm_h",
        "Mean_Wind_SpeedKm_h", "CloudCover", "trend", "trend_DE",
        "AfterStateHoliday", "BeforeStateHoliday", "Promo", "SchoolHoliday"]  # fmt: skip
LESSON = {"layers": [1000, 500], "ps": [0.001, 0.01], "embed_p": 0.04, "lr": 1e-3, "wd": 0.2}


class MemoryCeiling(Exception):
    """The run passed ``--max-rss-gb``."""


def rss_gb() -> tuple[float, float]:
    """(resident, peak resident) GB of this process, from /proc (Linux)."""
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return tuple(int(status[key].split()[0]) / 2**20 for key in ("VmRSS", "VmHWM"))


def read_rows(features: str, end: str | None) -> pd.DataFrame:
    """The lesson's columns of the labelled rows with sales (up to ``end``), log sales float32."""
    filters = [("Sales", ">", 0)] + ([("Date", "<=", pd.Timestamp(end))] if end else [])
    df = pd.read_parquet(features, columns=[*CAT, *CONT, "Sales", "Date"], filters=filters)
    df["Date"] = pd.to_datetime(df["Date"])
    df["Sales"] = np.log(df["Sales"].astype("float32"))
    return df.reset_index(drop=True)


def learner(df: pd.DataFrame, valid: np.ndarray, bs: int, layers: list[int], cbs=()):
    """The lesson's ``TabularPandas`` and ``tabular_learner`` (``valid``: the window's rows)."""
    from fastai.tabular.all import (
        Categorify,
        FillMissing,
        Normalize,
        RegressionBlock,
        TabularPandas,
        exp_rmspe,
        tabular_config,
        tabular_learner,
    )

    to = TabularPandas(
        df,
        procs=[FillMissing, Categorify, Normalize],
        cat_names=list(CAT),
        cont_names=list(CONT),
        y_names="Sales",
        y_block=RegressionBlock(),
        splits=(list(np.flatnonzero(~valid)), list(np.flatnonzero(valid))),
    )
    max_log_y = float(df["Sales"].max()) + np.log(1.2)
    config = tabular_config(ps=LESSON["ps"], embed_p=LESSON["embed_p"], y_range=(0, max_log_y))
    return tabular_learner(
        to.dataloaders(bs=bs), layers=layers, metrics=exp_rmspe, config=config, cbs=list(cbs)
    )


def exact_rmspe(log_pred: np.ndarray, log_true: np.ndarray) -> float:
    """``sqrt(mean(((y - p) / y)^2))`` in float64 on sales (``exp`` of the log values)."""
    p, y = np.exp(log_pred.astype(np.float64)), np.exp(log_true.astype(np.float64))
    return float(np.sqrt(np.mean(((y - p) / y) ** 2)))


def epoch_log(max_rss_gb: float):
    """A fastai callback: per epoch its seconds, the exact RMSPE on the window, RSS; it stops
    the run (:class:`MemoryCeiling`) when the resident size passes ``max_rss_gb``."""
    from fastai.callback.core import Callback

    class EpochLog(Callback):
        order = 99  # after the Recorder

        def before_fit(self):
            self.epochs, self.start = [], time.perf_counter()

        def before_validate(self):
            self.preds, self.targs = [], []

        def after_batch(self):
            if self.training and self.iter % 500 == 0 and rss_gb()[0] > max_rss_gb:
                raise MemoryCeiling(
                    f"fastai_peer: {rss_gb()[0]:.1f} GB resident in epoch {self.epoch + 1}, "
                    f"batch {self.iter}: past --max-rss-gb {max_rss_gb}, stopped"
                )
            if not self.training:
                self.preds.append(self.learn.pred.detach().float().cpu().numpy().ravel())
                self.targs.append(self.learn.yb[0].detach().float().cpu().numpy().ravel())

        def after_epoch(self):
            rmspe = exact_rmspe(np.concatenate(self.preds), np.concatenate(self.targs))
            self.preds = self.targs = None
            gc.collect()
            now = time.perf_counter()
            rss, peak = rss_gb()
            self.epochs.append(
                {
                    "epoch": self.epoch,
                    "seconds": round(now - self.start, 2),
                    "exact_rmspe": round(rmspe, 5),
                    "fastai_exp_rmspe": round(float(self.learn.recorder.values[-1][-1]), 5),
                    "rss_gb": round(rss, 3),
                    "peak_rss_gb": round(peak, 3),
                }
            )
            print(json.dumps(self.epochs[-1]), file=sys.stderr, flush=True)
            self.start = now

    return EpochLog()


def run_fold(args: argparse.Namespace) -> dict:
    torch.manual_seed(0)
    df = read_rows(args.features, args.end)
    valid = (df["Date"] >= pd.Timestamp(args.start)).to_numpy()
    if args.train_rows:
        keep = np.flatnonzero(~valid)[-args.train_rows :]
        df = pd.concat([df.iloc[keep], df[valid]], ignore_index=True)
        valid = (df["Date"] >= pd.Timestamp(args.start)).to_numpy()
    start = time.perf_counter()
    log = epoch_log(args.max_rss_gb)
    learn = learner(df, valid, args.bs, LESSON["layers"], [log])
    procs_s = time.perf_counter() - start
    start = time.perf_counter()
    stopped = None
    with learn.no_bar():
        try:
            learn.fit_one_cycle(args.epochs, LESSON["lr"], wd=LESSON["wd"])
        except MemoryCeiling as error:
            if not log.epochs:
                raise
            stopped = str(error)  # the epochs finished so far are the result, marked as such
    fit_s = time.perf_counter() - start
    dates = df.loc[valid, "Date"]
    return {
        "peer": "fastai tabular_learner (benchmarks/fastai_peer.py)",
        "epochs": args.epochs,
        "epochs_done": len(log.epochs),
        "stopped": stopped,
        "bs": args.bs,
        "lr": LESSON["lr"],
        "n_train": int((~valid).sum()),
        "n_valid": int(valid.sum()),
        "valid_window": [str(dates.min().date()), str(dates.max().date())],
        "procs_s": round(procs_s, 2),
        "fit_s": round(fit_s, 2),
        "s_per_epoch": round(fit_s / len(log.epochs), 2),
        "exact_rmspe": log.epochs[-1]["exact_rmspe"],
        "fastai_exp_rmspe": log.epochs[-1]["fastai_exp_rmspe"],
        "per_epoch": log.epochs,
        "peak_rss_gb": round(max(e["peak_rss_gb"] for e in log.epochs), 3),
        "torch_threads": torch.get_num_threads(),
    }


def run_throughput(args: argparse.Namespace) -> dict:
    """Training rows/s of one epoch over the last ``rows`` labelled rows (warm-up excluded)."""
    from fastai.callback.core import Callback

    class Clock(Callback):
        def before_train(self):
            self.batches, self.start = 0, None

        def after_batch(self):
            if self.training:
                self.batches += 1
                if self.batches == args.warmup:
                    self.start = time.perf_counter()

        def after_train(self):
            self.seconds = time.perf_counter() - self.start

    torch.manual_seed(0)
    df = read_rows(args.features, None).sort_values(["Date", "Store"])
    df = df.tail(args.rows + args.bs).reset_index(drop=True)
    valid = np.zeros(len(df), dtype=bool)
    valid[-args.bs :] = True  # one validation batch: fastai wants one
    layers = [int(n) for n in args.layers.split(",")]
    clock = Clock()
    learn = learner(df, valid, args.bs, layers, [clock])
    with learn.no_bar():
        learn.fit_one_cycle(1, LESSON["lr"], wd=LESSON["wd"])
    timed = (clock.batches - args.warmup) * args.bs
    linears = [
        [m.in_features, m.out_features]
        for m in learn.model.modules()
        if isinstance(m, torch.nn.Linear)
    ]
    return {
        "layers": layers,
        "bs": args.bs,
        "rows": timed,
        "seconds": round(clock.seconds, 3),
        "rows_per_s": timed / clock.seconds,
        "linears": linears,
        "torch_threads": torch.get_num_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    fold = sub.add_parser("fold", help="train before START, measure on START..END")
    fold.add_argument("features")
    fold.add_argument("start")
    fold.add_argument("end")
    fold.add_argument("--epochs", type=int, default=5)
    fold.add_argument("--bs", type=int, default=64)
    fold.add_argument("--train-rows", type=int, help="only the last N training rows")
    fold.add_argument("--max-rss-gb", type=float, default=12.0)
    speed = sub.add_parser("throughput", help="training rows/s of one epoch")
    speed.add_argument("features")
    speed.add_argument("--rows", type=int, default=100_000)
    speed.add_argument("--layers", default="1000,500")
    speed.add_argument("--bs", type=int, default=64)
    speed.add_argument("--warmup", type=int, default=20, help="batches not timed")
    args = parser.parse_args()
    try:
        result = run_fold(args) if args.mode == "fold" else run_throughput(args)
    except MemoryCeiling as error:
        sys.exit(str(error))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
