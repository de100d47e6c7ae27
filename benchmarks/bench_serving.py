"""The served Rossmann model (raw rows in): one request's latency, a 41,088-row batch's rows/s.

    .venv/bin/python benchmarks/bench_serving.py [--data DIR] [--requests 30] [--no-http]

Builds the model exactly as the ``log_model`` node of ``rossmann_model`` logs it (the same
``log_pipeline_model``), with processors fitted on the training features and an *untrained*
network of the lesson's architecture (``conf/base/parameters_rossmann_model.yml``): the cost of
a prediction does not depend on the weights, and no real-data training runs here. Data: the
real files in ``../shared/data/rossmann`` when present (test.csv has 41,088 rows), else
Kaggle-scale synthetic tables (1,115 stores, 856 of them in a 48-day test: 41,088 rows too).

Prints the model's size on disk (per carried artifact), then, on the same rows:

- ``served``     ``mlflow.pyfunc`` model ``predict`` (schema check, Kedro runner, catalog copy);
- ``domain``     reference: the same inference functions called directly (no MLflow, no Kedro);
- ``network``    reference: processors + network alone on already-built features;
- one request: in process (``pyfunc.predict`` of one row) and over HTTP (``mlflow models serve``
  on a loopback port, one-row ``dataframe_split`` POSTs), median and 95th percentile.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import mlflow
import pandas as pd
import torch
import yaml

from l6pipeline.pipelines.rossmann_data.pipeline import build_feature_tables, run_feature_pipeline
from l6pipeline.rossmann.raw_io import read_raw_csv
from l6pipeline.rossmann.synthetic import generate_rossmann
from l6pipeline.rossmann.validation import validate_tables
from l6pipeline.serving import inference
from l6pipeline.serving.mlflow_model import log_pipeline_model
from l6pipeline.serving.pipeline import request_features
from l6pipeline.tabular.processors import TabularProcessor
from l6pipeline.tabular.train import ModelConfig, build_model, predict_sales

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "rossmann"
TABLES = ("train", "test", "store", "store_states", "state_names", "googletrend", "weather")
SHARED_TABLES = (
    "rossmann_store",
    "rossmann_weather",
    "rossmann_trend_state",
    "rossmann_trend_national",
)
KAGGLE_SCALE = {"n_stores": 1115, "seed": 42}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tables(data: Path | None) -> tuple[dict, str]:
    if data is not None and (data / "train.csv").exists():
        raw = {table: read_raw_csv(data / f"{table}.csv") for table in TABLES}
        return validate_tables(raw), f"real files in {data}"
    return validate_tables(generate_rossmann(KAGGLE_SCALE)), "Kaggle-scale synthetic tables"


def _params() -> tuple[dict, dict]:
    conf = ROOT / "conf" / "base"
    parameters = yaml.safe_load((conf / "parameters_rossmann_model.yml").read_text())
    model = {**parameters["rossmann_model"], "network": parameters["rossmann_model_network"]}
    data = yaml.safe_load((conf / "parameters_rossmann_data.yml").read_text())["rossmann_data"]
    return model, data


def _best(fn, repeat: int) -> tuple[float, float]:
    """Best wall seconds and best CPU seconds of this process (the latter barely moves when
    other processes share the cores; wall time does)."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def _latency_ms(fn, n: int) -> tuple[float, float, float]:
    """Median and 95th percentile wall milliseconds, and median CPU milliseconds."""
    fn()  # warm-up
    walls, cpus = [], []
    for _ in range(n):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(1000 * (time.perf_counter() - wall))
        cpus.append(1000 * (time.process_time() - cpu))
    return statistics.median(walls), statistics.quantiles(walls, n=20)[-1], statistics.median(cpus)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http_latency(uri: str, row: pd.DataFrame, n: int) -> tuple[float, float, float]:
    port = _free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", uri, "--env-manager"]
    command += ["local", "-h", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("mlflow models serve did not start") from None
                time.sleep(0.5)
        split = json.loads(row.to_json(orient="split", index=False))
        body = json.dumps({"dataframe_split": split}).encode()
        url = f"http://127.0.0.1:{port}/invocations"

        def post() -> None:
            request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()

        return _latency_ms(post, n)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the Kedro runner logs every node of every request
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"

    start = time.perf_counter()
    tables, source = _tables(args.data)
    train_features, _ = build_feature_tables(tables)
    model_params, data_params = _params()
    processor = TabularProcessor.fit(
        train_features, model_params["cat_vars"], model_params["cont_vars"]
    )
    torch.manual_seed(0)
    config = ModelConfig.from_params(model_params["network"])
    network = build_model(processor, float(train_features["Sales"].max()), config).eval()
    carried = {
        "rossmann_model": network,
        "rossmann_processors": processor.to_dict(),
        **run_feature_pipeline(tables, SHARED_TABLES),
        "rossmann_event_history": inference.event_history(tables["train"], tables["test"]),
    }
    batch = inference.serving_frame(tables["test"])
    print(
        f"data: {source}; batch of {len(batch):,} test rows; setup {time.perf_counter() - start:.1f} s"
    )

    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
        mlflow.set_experiment(experiment_name="bench_serving")
        with mlflow.start_run():
            start = time.perf_counter()
            info = log_pipeline_model(carried, data_params, batch.head(5))
            print(f"log_model: {time.perf_counter() - start:.1f} s")
        local = Path(mlflow.artifacts.download_artifacts(info.model_uri, dst_path=f"{tmp}/model"))
        files = [path for path in local.rglob("*") if path.is_file()]
        total = sum(path.stat().st_size for path in files)
        print(f"model size on disk: {total / 2**20:.1f} MiB in {len(files)} files")
        for path in sorted(files, key=lambda p: -p.stat().st_size)[:8]:
            print(f"  {path.stat().st_size / 2**20:8.2f} MiB  {path.relative_to(local)}")

        start = time.perf_counter()
        served = mlflow.pyfunc.load_model(info.model_uri)
        print(f"load_model: {time.perf_counter() - start:.1f} s")

        tables_for_domain = {
            name: carried[name] for name in (*SHARED_TABLES, "rossmann_event_history")
        }
        coverage = inference.date_coverage(
            carried["rossmann_weather"],
            carried["rossmann_trend_state"],
            carried["rossmann_trend_national"],
        )

        def domain(rows: pd.DataFrame) -> pd.DataFrame:
            checked = inference.validate_request(rows, carried["rossmann_store"], coverage)
            features = request_features(
                checked,
                tables_for_domain,
                data_params["trend_alignment"],
                data_params["event_window_rows"],
            )
            return inference.predict_request(features, checked, processor.to_dict(), network)

        checked = inference.validate_request(batch, carried["rossmann_store"], coverage)
        features = request_features(checked, tables_for_domain)
        figures = {
            "served": _best(lambda: served.predict(batch), args.repeat),
            "domain": _best(lambda: domain(batch), args.repeat),
            "network": _best(
                lambda: predict_sales(network, processor.transform(features)), args.repeat
            ),
        }
        print(
            f"\nbatch of {len(batch):,} rows (best of {args.repeat}; wall, and CPU of this process):"
        )
        served_cpu = figures["served"][1]
        for name, (wall, cpu) in figures.items():
            print(
                f"  {name:8s} wall {wall:6.2f} s {len(batch) / wall:>8,.0f} rows/s | "
                f"CPU {cpu:6.2f} s {len(batch) / cpu:>8,.0f} rows/s ({cpu / served_cpu:.2f}x served)"
            )

        row = batch.head(1)
        print(f"\none request of 1 row, {args.requests} requests (wall median, p95; CPU median):")
        for name, fn in (
            ("pyfunc.predict", lambda: served.predict(row)),
            ("domain", lambda: domain(row)),
        ):
            median, p95, cpu = _latency_ms(fn, args.requests)
            print(f"  {name:15s} {median:6.0f} ms, p95 {p95:6.0f} ms; CPU {cpu:5.0f} ms")
        if not args.no_http:
            median, p95, _ = _http_latency(info.model_uri, row, args.requests)
            print(f"  {'HTTP':15s} {median:6.0f} ms, p95 {p95:6.0f} ms (mlflow models serve)")
    print(f"\npeak RSS {_peak_mb():,.0f} MiB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
