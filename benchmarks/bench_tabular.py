"""The Rossmann model against fast.ai's ``tabular_learner`` on the real files, fold by fold.

1. ``project``  the whole default real-data run, exactly as a user starts it:
                ``kedro run --env kaggle --pipelines rossmann_data,rossmann_model`` in a
                throwaway copy of the project (raw files linked, its own MLflow database), so
                nothing of yours is touched. Wall time and peak RSS of the run (<= 10 min,
                <= 3 GB), then from its metrics.json the backtest RMSPE on each window no choice
                saw (model, LightGBM alone, networks alone), and the training time until the
                first network and LightGBM reach the peer's RMSPE on the latest window.
2. ``peer``     ``../shared/peers/fastai_tabular.py`` (lesson settings, 5 epochs, bs 64) on the
                *same* folds: for each backtest window, the same feature table cut after the
                window, trained on every row before it, measured on it. ``FASTAI_PY`` names the
                Python of its venv (see ../shared/peers/README.md); ``--peer-json W1=FILE``
                reads a result the same script printed earlier instead (one 5-epoch run takes
                ~20 min and most of the machine's memory). Without either, no peer column.

Goal: backtest RMSPE >= 10% below the peer's on the same folds. Usage::

    FASTAI_PY=../fastai-venv/bin/python .venv/bin/python benchmarks/bench_tabular.py [--data DIR]
    .venv/bin/python benchmarks/bench_tabular.py --peer-json W1=w1.json --peer-json W2=w2.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TABLES = ("train", "test", "store", "store_states", "state_names", "googletrend", "weather")
GOAL_RMSPE_RATIO = 0.90
GOAL_RUN_SECONDS = 600
GOAL_PEAK_GB = 3.0


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
    reached = curve.index[curve["rmspe"] <= target]
    return None if len(reached) == 0 else float(curve[clock].cumsum().loc[reached[0]])


def run_peer(features: Path, window: dict, workdir: Path) -> dict | None:
    """The peer trained on every row before ``window`` and measured on it (None: no peer)."""
    python = os.environ.get("FASTAI_PY")
    script = SHARED / "peers/fastai_tabular.py"
    if not python or not script.exists():
        return None
    table = pd.read_parquet(features)
    cut = workdir / f"features_to_{window['name']}.parquet"
    table[table["Date"] <= pd.Timestamp(window["end"])].to_parquet(cut, index=False)
    del table
    out = subprocess.run(
        [python, str(script), str(cut), window["start"], "--epochs", "5"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def read_peer_json(pairs: list[str]) -> dict[str, dict]:
    """``W1=FILE`` pairs: the peer's JSON line for that window, printed by an earlier run."""
    results = {}
    for pair in pairs:
        name, _, path = pair.partition("=")
        results[name] = json.loads(Path(path).read_text().strip().splitlines()[-1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "data/rossmann")
    parser.add_argument("--params", help="extra `kedro run --params` for the project's run")
    parser.add_argument("--peer-json", action="append", default=[], metavar="WINDOW=FILE")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway project")
    args = parser.parse_args()
    if not (args.data / "train.csv").exists():
        sys.exit(f"no real Rossmann files in {args.data}: pass --data DIR")

    print(f"load average before: {os.getloadavg()[0]:.2f} (2-core machine: measure when < 1)")
    workdir = Path(tempfile.mkdtemp(prefix="bench_tabular_"))
    peers = read_peer_json(args.peer_json)
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
                measured = run_peer(features, windows[name], workdir)
                if measured is not None:
                    peers[name] = measured
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    def fmt(value, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    print(f"\nwhole run {run_seconds:.0f} s (<= {GOAL_RUN_SECONDS}), peak RSS {peak_gb:.2f} GB "
          f"(<= {GOAL_PEAK_GB}): "
          f"{'met' if run_seconds <= GOAL_RUN_SECONDS and peak_gb <= GOAL_PEAK_GB else 'NOT met'}")  # fmt: skip
    print(f"\n{'window':24} {'rows':>7} {'model':>7} {'LightGBM':>9} {'networks':>9} "
          f"{'peer':>7} {'model/peer':>10}")  # fmt: skip
    ratios = []
    for name, fold in summary["backtest"].items():
        w = windows[name]
        peer = peers.get(name, {}).get("exact_rmspe")
        ratio = None if peer is None else fold["rmspe"] / peer
        if ratio is not None:
            ratios.append(ratio)
        print(f"{name} {w['start']}..{w['end']} {fold['rows']:7.0f} {fold['rmspe']:7.4f} "
              f"{fmt(fold.get('lightgbm_rmspe'), '9.4f')} {fold['networks_rmspe']:9.4f} "
              f"{fmt(peer, '7.4f')} {fmt(ratio, '10.3f')}")  # fmt: skip
    mean_peer = (
        sum(peers[n]["exact_rmspe"] for n in summary["backtest"]) / len(summary["backtest"])
        if all(n in peers for n in summary["backtest"])
        else None
    )
    print(f"{'mean (headline)':32} {summary['backtest_rmspe']:7.4f} {'':19} "
          f"{fmt(mean_peer, '7.4f')}")  # fmt: skip
    tuned = ", ".join(f"{n} {t['rmspe']:.4f}" for n, t in summary["tuning"].items() if n != "note")
    print(f"tuning windows (where the choices were made, optimistic): {tuned}")
    print(f"choices for the refit (made on W1): {summary['choices']}; trained until "
          f"{summary['trained_until']}")  # fmt: skip
    if mean_peer is not None:
        ratio = summary["backtest_rmspe"] / mean_peer
        print(
            f"goal, backtest RMSPE <= {GOAL_RMSPE_RATIO:.2f} x peer on the same folds: "
            f"{ratio:.3f} x mean, worst fold {max(ratios):.3f} x "
            f"({'met' if max(ratios) <= GOAL_RMSPE_RATIO else 'NOT met'})"
        )
    latest = summary["windows"][-1]["name"]
    if latest in peers:
        target = peers[latest]["exact_rmspe"]
        prefix = f"before_{latest}"
        first = networks[(networks["prefix"] == prefix) & (networks["member"] == 0)]
        boosted = lightgbm[lightgbm["prefix"] == prefix].reset_index(drop=True)
        print(
            f"time to the peer's {latest} RMSPE {target:.4f} (peer: {peers[latest]['fit_s']:.0f} s "
            f"of training): first network {fmt(first_time_below(first.reset_index(drop=True), target, 'seconds'), '.0f')} s, "
            f"LightGBM {fmt(first_time_below(boosted, target, 'seconds'), '.0f')} s"
        )  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
