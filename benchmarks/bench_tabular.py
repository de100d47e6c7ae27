"""The Rossmann model against fast.ai's ``tabular_learner`` on the real files, side by side.

1. ``project``  the whole default real-data run, exactly as a user starts it:
                ``kedro run --env kaggle --pipelines rossmann_data,rossmann_model`` in a
                throwaway copy of the project (raw files linked, its own MLflow database), so
                nothing of yours is touched. Wall time and peak RSS of the run (goal 3: <= 10 min,
                <= 3 GB), then from its outputs: exact validation RMSPE of the model (networks +
                LightGBM blend), of the networks alone and of LightGBM alone, s/epoch, and the
                training time until each first reaches the peer's RMSPE.
2. ``peer``     ``../shared/peers/fastai_tabular.py`` (lesson settings, 5 epochs, bs 64) on the
                *same* feature table and validation window, when ``FASTAI_PY`` names the
                Python of its venv (see ../shared/peers/README.md). Without it, the figures that
                README quotes for this window are used and marked "quoted".

Goals (issue 9): RMSPE >= 8% lower than the peer's; time to the peer's RMSPE <= 1/3 of the
peer's 5-epoch time. Usage::

    FASTAI_PY=../fastai-venv/bin/python .venv/bin/python benchmarks/bench_tabular.py [--data DIR]
    .venv/bin/python benchmarks/bench_tabular.py --params rossmann_model_ensemble.members=1
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
# ../shared/peers/README.md: the copy of train.csv to 2015-06-18, window 2015-05-04..06-18.
QUOTED_PEER = {"exact_rmspe": 0.1285, "fit_s": 1301.0, "s_per_epoch": 260.0, "epochs": 5}
GOAL_RMSPE_RATIO = 0.92
GOAL_TIME_RATIO = 1 / 3
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


def run_peer(features: Path, valid_from: str) -> dict:
    python = os.environ.get("FASTAI_PY")
    script = SHARED / "peers/fastai_tabular.py"
    if not python or not script.exists():
        return {**QUOTED_PEER, "source": "quoted from ../shared/peers/README.md (not measured)"}
    out = subprocess.run(
        [python, str(script), str(features), valid_from, "--epochs", "5"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "source": "measured now"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "data/rossmann")
    parser.add_argument("--params", help="extra `kedro run --params` for the project's run")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway project")
    args = parser.parse_args()
    if not (args.data / "train.csv").exists():
        sys.exit(f"no real Rossmann files in {args.data}: pass --data DIR")

    print(f"load average before: {os.getloadavg()[0]:.2f} (2-core machine: measure when < 1)")
    workdir = Path(tempfile.mkdtemp(prefix="bench_tabular_"))
    try:
        project = throwaway_project(args.data, workdir)
        run_seconds, peak_gb = run_project(project, args.params)
        reporting = project / "data/08_reporting/rossmann_kaggle"
        summary = json.loads((reporting / "metrics.json").read_text())
        networks = pd.read_csv(reporting / "learning_curve.csv")
        lightgbm = pd.read_csv(reporting / "lightgbm_curve.csv")
        window = summary["validation_window"]
        features = project / "data/04_feature/rossmann_kaggle/train_features.parquet"
        peer = run_peer(features, window[0])
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    target = peer["exact_rmspe"]
    first = networks[networks["member"] == 0].reset_index(drop=True)
    lightgbm["step_seconds"] = lightgbm["seconds"].diff().fillna(lightgbm["seconds"])
    calibrated_reach = (
        summary["training_seconds"] if summary["networks_rmspe_calibrated"] <= target else None
    )
    to_target = {
        "first network": first_time_below(first, target, "seconds"),
        "networks calibrated": calibrated_reach,
        "LightGBM": first_time_below(lightgbm, target, "step_seconds"),
    }

    def earliest(*times: float | None) -> float | None:
        return min((t for t in times if t is not None), default=None)

    networks_alone = earliest(to_target["first network"], to_target["networks calibrated"])
    model_reach = earliest(*to_target.values())
    rows = [
        ("fast.ai tabular_learner (peer)", peer["exact_rmspe"], peer["s_per_epoch"],
         peer["fit_s"], peer["fit_s"]),
        ("project: networks averaged", summary["networks_rmspe"], summary["seconds_per_epoch"],
         summary["training_seconds"], to_target["first network"]),
        ("project: networks, calibrated", summary["networks_rmspe_calibrated"], None,
         summary["training_seconds"], calibrated_reach),
        ("project: LightGBM (early-stopped)", summary["baseline_lgbm_rmspe"], None,
         summary["baseline_lgbm_seconds"], to_target["LightGBM"]),
        ("project: model (blend, calibrated)", summary["rmspe"], None,
         summary["training_seconds"] + summary["baseline_lgbm_seconds"], model_reach),
    ]  # fmt: skip

    def fmt(value, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    print(
        f"\nvalidation window {window[0]}..{window[1]}, {summary['train_rows']:,.0f} training / "
        f"{summary['valid_rows']:,.0f} validation rows; peer figures: {peer['source']}"
    )
    print(f"{'':36} {'exact RMSPE':>11} {'s/epoch':>8} {'train s':>8} {'s to peer':>10}")
    for name, score, per_epoch, total, reach in rows:
        print(
            f"{name:36} {score:11.4f} {fmt(per_epoch, '8.1f')} {total:8.0f} {fmt(reach, '10.0f')}"
        )
    print(
        f"\nmodel: {summary['networks']:.0f} network(s) × {summary['epochs_trained']:.0f} epochs "
        f"in all; LightGBM {summary['baseline_lgbm_rounds']:.0f} rounds; blend weight on "
        f"LightGBM {summary['blend_weight']:.2f}, scale {summary['scale']:.3f} (uncalibrated "
        f"RMSPE {summary['rmspe_uncalibrated']:.4f})"
    )
    ratio = summary["rmspe"] / target
    print(
        f"goal 1, RMSPE <= {GOAL_RMSPE_RATIO:.2f} x peer: {ratio:.3f} x "
        f"({'met' if ratio <= GOAL_RMSPE_RATIO else 'NOT met'})"
    )
    for name, seconds in [("model", model_reach), ("networks alone", networks_alone)]:
        share = None if seconds is None else seconds / peer["fit_s"]
        verdict = "met" if share is not None and share <= GOAL_TIME_RATIO else "NOT met"
        print(
            f"goal 2, time to the peer's RMSPE <= 1/3 of its {peer['fit_s']:.0f} s ({name}): "
            f"{fmt(share, '.3f')} x ({verdict})"
        )
    print(
        f"goal 3, whole run {run_seconds:.0f} s (<= {GOAL_RUN_SECONDS}), peak RSS {peak_gb:.2f} GB "
        f"(<= {GOAL_PEAK_GB}): "
        f"{'met' if run_seconds <= GOAL_RUN_SECONDS and peak_gb <= GOAL_PEAK_GB else 'NOT met'}"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
