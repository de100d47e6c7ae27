"""The Rossmann model against fast.ai's ``tabular_learner`` on the real files, fold by fold.

1. ``project``  the whole default real-data run, exactly as a user starts it:
                ``kedro run --env kaggle --pipelines rossmann_data,rossmann_model`` in a
                throwaway copy of the project (raw files linked, its own MLflow database), so
                nothing of yours is touched. Wall time and peak RSS of the run (<= 10 min,
                <= 3 GB), then from its metrics.json the backtest RMSPE on each window no choice
                saw (model, LightGBM alone, networks alone) and the training seconds per fold.
2. ``peer``     fast.ai's ``tabular_learner`` with the lesson's settings (5 epochs, bs 64), run
                by ``benchmarks/fastai_peer.py`` (../shared/peers/fastai_tabular.py with its
                memory bounded; the differences are in its docstring) on *every* backtest
                fold, one subprocess each: the same feature table, trained on every row before
                the window, measured on it, with seconds, exact RMSPE and RSS per epoch.
                ``FASTAI_PY`` names the Python of its venv (see ../shared/peers/README.md);
                ``--peer-json W1=FILE`` reads a result printed earlier instead (its last line:
                this runner's or the shared script's JSON). Without either, no peer column.
                Per fold: training seconds of each, and the seconds until our first network
                and LightGBM first reach the peer's RMSPE on that window.
3. ``throughput`` (``--throughput``, or ``--throughput-only`` alone on a feature table): rows/s
                of one training epoch of our network (the library's ``fit_one_cycle``) and of
                fast.ai's, for layers [256, 128] and [1000, 500] at batch sizes 64, 256, 512,
                and their share of this machine's fp32 peak (a 2048 x 2048 matmul measured in
                the same run; FLOPs per row from the Linear layers, backward = 2 x forward).

Goal: backtest RMSPE >= 10% below the peer's on the same folds. Usage::

    FASTAI_PY=../fastai-venv/bin/python .venv/bin/python benchmarks/bench_tabular.py [--data DIR]
    .venv/bin/python benchmarks/bench_tabular.py --peer-json W1=w1.json --peer-json W2=w2.json
    FASTAI_PY=../fastai-venv/bin/python .venv/bin/python benchmarks/bench_tabular.py \
        --throughput-only --features data/04_feature/rossmann_kaggle/train_features.parquet
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TABLES = ("train", "test", "store", "store_states", "state_names", "googletrend", "weather")
GOAL_RMSPE_RATIO = 0.90
GOAL_RUN_SECONDS = 600
GOAL_PEAK_GB = 3.0
PEER = Path(__file__).with_name("fastai_peer.py")
PEER_EPOCHS = 5
THROUGHPUT_LAYERS = ((256, 128), (1000, 500))
THROUGHPUT_BATCH_SIZES = (64, 256, 512)


def throwaway_project(data: Path, workdir: Path) -> Path:
    """A copy of the project's configuration with the real raw files linked in."""
    project = workdir / "project"
    project.mkdir()
    shutil.copy(ROOT / "pyproject.toml", project)
    shutil.copytree(ROOT / "conf", project / "conf")
    (project / "src").mkdir()  # Kedro wants a source folder; the package is installed
    raw = project / "data/01_raw/rossmann"
    raw.mkdir(parents=True)
    for table in TABLES:
        (raw / f"{table}.csv").symlink_to((data / f"{table}.csv").resolve())
    return project


def run_project(project: Path, params: str | None) -> tuple[float, float]:
    """(wall seconds, peak RSS in GB) of the whole real-data Kedro run."""
    command = [
        str(Path(sys.executable).with_name("kedro")),
        "run",
        "--env",
        "kaggle",
        "--pipelines",
        "rossmann_data,rossmann_model",
    ]
    if params:
        command += ["--params", params]
    env = {
        **os.environ,
        "KEDRO_DISABLE_TELEMETRY": "1",
        "MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}",
    }
    start = time.perf_counter()
    with (project / "run.log").open("w") as log:
        subprocess.run(command, cwd=project, env=env, stdout=log, stderr=log, check=True)
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB -> GiB
    return seconds, peak_gb


def first_time_below(curve: pd.DataFrame, target: float, clock: str) -> float | None:
    """Cumulative ``clock`` seconds until ``rmspe`` first reaches ``target`` (None: never)."""
    curve = curve.reset_index(drop=True)
    reached = curve.index[curve["rmspe"] <= target]
    return None if len(reached) == 0 else float(curve[clock].cumsum().loc[reached[0]])


def fold_rows(
    summary: dict, networks: pd.DataFrame, lightgbm: pd.DataFrame, peers: dict[str, dict]
) -> list[dict]:
    """One row per backtest window: our RMSPEs (model, networks, LightGBM), the peer's, our
    training seconds on that prefix (every network and LightGBM) and the peer's, and the
    seconds until our first network / LightGBM first reach the peer's RMSPE there."""
    windows = {w["name"]: w for w in summary["windows"]}
    rows = []
    for name, fold in summary["backtest"].items():
        prefix = f"before_{name}"
        nets = networks[networks["prefix"] == prefix]
        boosted = lightgbm[lightgbm["prefix"] == prefix]
        peer = peers.get(name, {})
        target = peer.get("exact_rmspe")
        rows.append(
            {
                "window": name,
                "start": windows[name]["start"],
                "end": windows[name]["end"],
                "rows": int(fold["rows"]),
                "model": fold["rmspe"],
                "networks": fold.get("networks_rmspe"),
                "lightgbm": fold.get("lightgbm_rmspe"),
                "peer": target,
                "model_per_peer": None if target is None else fold["rmspe"] / target,
                "ours_s": float(nets["seconds"].sum() + boosted["seconds"].sum()),
                "peer_s": peer.get("fit_s"),
                "network_to_peer_s": None
                if target is None
                else first_time_below(nets[nets["member"] == 0], target, "seconds"),
                "lightgbm_to_peer_s": None
                if target is None
                else first_time_below(boosted, target, "seconds"),
            }
        )
    return rows


def run_peer(features: Path, window: dict) -> dict | None:
    """The peer trained on every row before ``window`` and measured on it, in its own process
    (None: no ``FASTAI_PY``, or it failed). Its per-epoch lines go to this run's stderr."""
    python = os.environ.get("FASTAI_PY")
    if not python:
        return None
    command = [python, str(PEER), "fold", str(features), window["start"], window["end"]]
    out = subprocess.run(
        [*command, "--epochs", str(PEER_EPOCHS)], stdout=subprocess.PIPE, text=True, check=False
    )
    if out.returncode != 0:  # e.g. its memory ceiling: the other folds still run
        print(
            f"fastai on {window['name']} failed (exit {out.returncode}); see above", file=sys.stderr
        )
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def read_peer_json(pairs: list[str]) -> dict[str, dict]:
    """``W1=FILE`` pairs: the peer's JSON line for that window, printed by an earlier run."""
    results = {}
    for pair in pairs:
        name, _, path = pair.partition("=")
        results[name] = json.loads(Path(path).read_text().strip().splitlines()[-1])
    return results


def linear_flops_per_row(shapes: list[tuple[int, int]]) -> float:
    """Training FLOPs per row of the Linear layers ``(in, out)``: ``2 * in * out`` forward, and
    the backward twice that (gradients of the input and of the weights)."""
    return 3.0 * sum(2.0 * n_in * n_out for n_in, n_out in shapes)


def peak_flops(n: int = 2048, threads: int = 2, repeats: int = 5) -> float:
    """fp32 FLOP/s of this machine: the best of ``repeats`` ``n x n`` matmuls (``2 n^3`` each)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a, b = torch.randn(n, n), torch.randn(n, n)
        torch.matmul(a, b)  # warm-up
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            torch.matmul(a, b)
            best = min(best, time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return 2.0 * n**3 / best


def our_throughput(
    frame: pd.DataFrame, layers: tuple[int, ...], batch_size: int, warmup: int
) -> dict:
    """Rows/s of one training epoch of our network over ``frame`` (the library's
    ``fit_one_cycle``, lesson lr / wd), after an untimed run of ``warmup`` batches."""
    import torch

    from l6pipeline.core.nn import TrainConfig, fit_one_cycle
    from l6pipeline.rossmann.model.metrics import log_sales
    from l6pipeline.rossmann.model.processors import TabularProcessor
    from l6pipeline.rossmann.model.train import ModelConfig, as_tensors, initial_model

    params = model_params()
    processor = TabularProcessor.fit(frame, params["cat_vars"], params["cont_vars"])
    sales = frame["Sales"].to_numpy(np.float64)
    tensors = as_tensors(processor.transform(frame), log_sales(sales))
    model = initial_model(processor, sales, ModelConfig(layers=layers), seed=0)
    config = TrainConfig(epochs=1, batch_size=batch_size, lr=1e-3, wd=0.2, progress=False)
    head = [t[: warmup * batch_size] for t in tensors]
    fit_one_cycle(model, torch.nn.functional.mse_loss, head, None, config)
    start = time.perf_counter()
    fit_one_cycle(model, torch.nn.functional.mse_loss, tensors, None, config)
    seconds = time.perf_counter() - start
    shapes = [
        (m.in_features, m.out_features) for m in model.modules() if isinstance(m, torch.nn.Linear)
    ]
    return {"rows_per_s": len(frame) / seconds, "linears": shapes}


def peer_throughput(
    features: Path, rows: int, layers: tuple[int, ...], batch_size: int
) -> dict | None:
    """fast.ai's rows/s for the same settings, in its own process (None: no ``FASTAI_PY``)."""
    python = os.environ.get("FASTAI_PY")
    if not python:
        return None
    command = [python, str(PEER), "throughput", str(features), "--rows", str(rows)]
    command += ["--layers", ",".join(map(str, layers)), "--bs", str(batch_size)]
    out = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def model_params() -> dict:
    """The model's variables, from the project's parameters (the same in every environment)."""
    import yaml

    conf = ROOT / "conf/base/parameters_rossmann_model.yml"
    return yaml.safe_load(conf.read_text())["rossmann_model"]


def throughput(features: Path, rows: int, warmup: int = 20) -> list[dict]:
    """Rows/s of ours and the peer's for each layer set and batch size, and their shares of
    the fp32 peak measured here and now."""
    params = model_params()
    columns = list(dict.fromkeys(["Date", "Sales", *params["cat_vars"], *params["cont_vars"]]))
    frame = pd.read_parquet(features, columns=columns, filters=[("Sales", ">", 0)])
    frame = frame.sort_values(["Date", "Store"]).tail(rows).reset_index(drop=True)
    before = peak_flops()
    table = []
    for layers in THROUGHPUT_LAYERS:
        for batch_size in THROUGHPUT_BATCH_SIZES:
            ours = our_throughput(frame, layers, batch_size, warmup)
            peer = peer_throughput(features, rows, layers, batch_size)
            row = {
                "layers": list(layers),
                "bs": batch_size,
                "flops_per_row": linear_flops_per_row(ours["linears"]),
                "ours_rows_s": ours["rows_per_s"],
                "peer_rows_s": None if peer is None else peer["rows_per_s"],
                "peer_flops_per_row": None
                if peer is None
                else linear_flops_per_row(peer["linears"]),
            }
            print(json.dumps(row), file=sys.stderr, flush=True)
            table.append(row)
    # The best of two measurements, one before and one after: the nearest to the true peak on
    # a machine whose load changes while this runs.
    peak = max(before, peak_flops())
    print(f"fp32 peak (2048 x 2048 matmul, 2 threads, best of before / after): "
          f"{peak / 1e9:.1f} GFLOP/s (before {before / 1e9:.1f})")  # fmt: skip
    for row in table:
        row["ours_share"] = row["ours_rows_s"] * row["flops_per_row"] / peak
        peer_flops = row.pop("peer_flops_per_row")
        row["peer_share"] = None if peer_flops is None else row["peer_rows_s"] * peer_flops / peak
    return table


def fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_throughput(table: list[dict]) -> None:
    print(f"\n{'layers':12} {'bs':>4} {'MFLOP/row':>9} {'ours rows/s':>11} {'fastai rows/s':>13} "
          f"{'ours/fastai':>11} {'ours % peak':>11} {'fastai % peak':>13}")  # fmt: skip
    for r in table:
        ratio = None if r["peer_rows_s"] is None else r["ours_rows_s"] / r["peer_rows_s"]
        peer_share = None if r["peer_share"] is None else 100 * r["peer_share"]
        print(f"{str(r['layers']):12} {r['bs']:4d} {r['flops_per_row'] / 1e6:9.2f} "
              f"{r['ours_rows_s']:11.0f} {fmt(r['peer_rows_s'], '13.0f')} {fmt(ratio, '11.2f')} "
              f"{100 * r['ours_share']:11.1f} {fmt(peer_share, '13.1f')}")  # fmt: skip


def print_folds(summary: dict, rows: list[dict]) -> None:
    print(f"\n{'window':24} {'rows':>7} {'model':>7} {'networks':>9} {'LightGBM':>9} "
          f"{'fastai':>7} {'model/fastai':>12} {'ours s':>7} {'fastai s':>8} "
          f"{'net to fastai s':>15} {'LGBM to fastai s':>16}")  # fmt: skip
    for r in rows:
        print(f"{r['window']} {r['start']}..{r['end']} {r['rows']:7d} {r['model']:7.4f} "
              f"{fmt(r['networks'], '9.4f')} {fmt(r['lightgbm'], '9.4f')} {fmt(r['peer'], '7.4f')} "
              f"{fmt(r['model_per_peer'], '12.3f')} {r['ours_s']:7.0f} {fmt(r['peer_s'], '8.0f')} "
              f"{fmt(r['network_to_peer_s'], '15.0f')} {fmt(r['lightgbm_to_peer_s'], '16.0f')}")  # fmt: skip
    peers = [r["peer"] for r in rows]
    mean_peer = None if None in peers else sum(peers) / len(peers)
    print(f"{'mean (headline)':32} {summary['backtest_rmspe']:7.4f} {'':19} "
          f"{fmt(mean_peer, '7.4f')}")  # fmt: skip
    tuned = ", ".join(f"{n} {t['rmspe']:.4f}" for n, t in summary["tuning"].items() if n != "note")
    print(f"tuning windows (where the choices were made, optimistic): {tuned}")
    print(f"choices for the refit (made on every tuning window): {summary['choices']}; trained until "
          f"{summary['trained_until']}")  # fmt: skip
    if mean_peer is not None:
        worst = max(r["model_per_peer"] for r in rows)
        print(
            f"goal, backtest RMSPE <= {GOAL_RMSPE_RATIO:.2f} x fastai on the same folds: "
            f"{summary['backtest_rmspe'] / mean_peer:.3f} x mean, worst fold {worst:.3f} x "
            f"({'met' if worst <= GOAL_RMSPE_RATIO else 'NOT met'})"
        )
    print("s: training seconds on the fold's prefix (ours: every network and LightGBM; fastai: "
          "its fit); 'to fastai': until our first network / LightGBM first reach fastai's RMSPE")  # fmt: skip


def print_peer_epochs(peers: dict[str, dict]) -> None:
    """The peer's seconds, exact RMSPE and RSS per epoch (this runner's results only)."""
    for name, peer in peers.items():
        if peer.get("stopped"):
            print(f"fastai {name}: {peer['stopped']}; its figure is after "
                  f"{peer['epochs_done']} of {peer['epochs']} epochs")  # fmt: skip
        for e in peer.get("per_epoch", []):
            print(f"fastai {name} epoch {e['epoch'] + 1}: {e['seconds']:.0f} s, RMSPE "
                  f"{e['exact_rmspe']:.4f}, RSS {e['rss_gb']:.2f} GB (peak {e['peak_rss_gb']:.2f})")  # fmt: skip


def project_section(args: argparse.Namespace, peers: dict[str, dict]) -> None:
    """The project's run, the peer on every fold, and the fold table."""
    workdir = Path(tempfile.mkdtemp(prefix="bench_tabular_"))
    try:
        project = throwaway_project(args.data, workdir)
        run_seconds, peak_gb = run_project(project, args.params)
        reporting = project / "data/08_reporting/rossmann_kaggle"
        summary = json.loads((reporting / "metrics.json").read_text())
        networks = pd.read_csv(reporting / "learning_curve.csv")
        lightgbm = pd.read_csv(reporting / "lightgbm_curve.csv")
        features = project / "data/04_feature/rossmann_kaggle/train_features.parquet"
        windows = {w["name"]: w for w in summary["windows"]}
        for name in summary["backtest"]:
            if name not in peers:
                measured = run_peer(features, windows[name])
                if measured is not None:
                    peers[name] = measured
        if args.throughput:
            speed = throughput(features, args.throughput_rows)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    met = run_seconds <= GOAL_RUN_SECONDS and peak_gb <= GOAL_PEAK_GB
    print(f"\nwhole run {run_seconds:.0f} s (<= {GOAL_RUN_SECONDS}), peak RSS {peak_gb:.2f} GB "
          f"(<= {GOAL_PEAK_GB}): {'met' if met else 'NOT met'}")  # fmt: skip
    print_folds(summary, fold_rows(summary, networks, lightgbm, peers))
    print_peer_epochs(peers)
    if args.throughput:
        print_throughput(speed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "data/rossmann")
    parser.add_argument("--params", help="extra `kedro run --params` for the project's run")
    parser.add_argument("--peer-json", action="append", default=[], metavar="WINDOW=FILE")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway project")
    parser.add_argument("--throughput", action="store_true", help="add the rows/s table")
    parser.add_argument("--throughput-only", action="store_true", help="only the rows/s table")
    parser.add_argument("--throughput-rows", type=int, default=100_000, help="rows timed")
    parser.add_argument("--features", type=Path, help="feature table for --throughput-only")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (2-core machine: measure when < 1)")
    if args.throughput_only:
        if args.features is None or not args.features.exists():
            sys.exit(
                f"--throughput-only needs --features FILE (a train_features.parquet), got {args.features}"
            )
        print_throughput(throughput(args.features, args.throughput_rows))
    else:
        if not (args.data / "train.csv").exists():
            sys.exit(f"no real Rossmann files in {args.data}: pass --data DIR")
        project_section(args, read_peer_json(args.peer_json))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
