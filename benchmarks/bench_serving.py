"""The served Rossmann model over HTTP (``make serve``'s server on 127.0.0.1): latency,
throughput, a 50k-row batch, worker memory and log lines.

    .venv/bin/python benchmarks/bench_serving.py [--data DIR] [--workers 2] [--seconds 10]

Builds the model exactly as the ``log_model`` node of ``rossmann_model`` logs it (the same
``log_pipeline_model``), with processors fitted on the training features and an *untrained*
network of the lesson's architecture (``conf/base/parameters_rossmann_model.yml``): the cost of
a prediction does not depend on the weights, and no real-data training runs here. Data: the
real files in ``../shared/data/rossmann`` when present, else Kaggle-scale synthetic tables
(1,115 stores, 41,088 test rows). Then starts ``python -m l6pipeline.rossmann.serving.server`` on a
free loopback port (nothing leaves the machine) and prints:

- the model's size on disk;
- the reference: one row through ``ServedPipeline.predict`` in this process (no HTTP);
- p50 / p95 of one client's requests of 1 and of 100 rows;
- requests/s and p50 with 1, 4 and 8 concurrent clients (one-row requests, each level for
  ``--seconds`` and at most ``--max-requests``: bounded loops);
- rows/s of one 50,000-row request (test rows plus past days);
- the workers' RSS after start and after the run, the server's log lines per 1,000 requests,
  and the load average (the 2-core machine is shared: wall times are inflated when it is busy).
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import signal
import statistics
import tempfile
import threading
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import torch
import yaml

from l6pipeline.pipelines.rossmann_data.pipeline import build_feature_tables, run_feature_pipeline
from l6pipeline.rossmann.features.parameters import RossmannDataParameters
from l6pipeline.rossmann.model.processors import TabularProcessor
from l6pipeline.rossmann.model.train import ModelConfig, build_model
from l6pipeline.rossmann.raw.csv_files import read_raw_csv
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from l6pipeline.rossmann.raw.validation import validate_tables
from l6pipeline.rossmann.serving import inference
from l6pipeline.rossmann.serving.mlflow_model import log_pipeline_model
from l6pipeline.rossmann.serving.server import start_in_background

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "rossmann"
TABLES = ("train", "test", "store", "store_states", "state_names", "googletrend", "weather")
KAGGLE_SCALE = {"n_stores": 1115, "seed": 42}
BATCH_ROWS = 50_000
START_S = 300  # a loaded 2-core machine needs minutes to import mlflow + torch


def _tables(data: Path | None) -> tuple[dict, str]:
    if data is not None and (data / "train.csv").exists():
        raw = {table: read_raw_csv(data / f"{table}.csv") for table in TABLES}
        return validate_tables(raw), f"real files in {data}"
    return validate_tables(generate_rossmann(KAGGLE_SCALE)), "Kaggle-scale synthetic tables"


def _params() -> tuple[dict, RossmannDataParameters]:
    conf = ROOT / "conf" / "base"
    model = yaml.safe_load((conf / "parameters_rossmann_model.yml").read_text())["rossmann_model"]
    data = yaml.safe_load((conf / "parameters_rossmann_data.yml").read_text())["rossmann_data"]
    return model, RossmannDataParameters.from_params(data)


def _body(rows: pd.DataFrame) -> bytes:
    split = json.loads(rows.to_json(orient="split", index=False))
    return json.dumps({"dataframe_split": split}).encode()


class Client:
    """One keep-alive HTTP connection to the server on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def post(self, body: bytes) -> tuple[int, bytes]:
        self.connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        return response.status, response.read()


def _latencies(port: int, body: bytes, n: int) -> list[float]:
    client = Client(port)
    client.post(body)  # warm-up
    times = []
    for _ in range(n):
        start = time.perf_counter()
        status, _ = client.post(body)
        times.append(1000 * (time.perf_counter() - start))
        assert status == 200, status
    return times


def _throughput(port: int, body: bytes, clients: int, seconds: float, cap: int):
    """(requests/s, p50 ms) of ``clients`` threads posting ``body`` for ``seconds`` (or
    ``cap`` requests in all)."""
    times: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run() -> None:
        client = Client(port)
        while time.perf_counter() < deadline:
            with lock:
                if len(times) >= cap:
                    return
            start = time.perf_counter()
            status, _ = client.post(body)
            assert status == 200, status
            with lock:
                times.append(1000 * (time.perf_counter() - start))

    threads = [threading.Thread(target=run) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(times) / (time.perf_counter() - start), statistics.median(times), len(times)


def _rss_mib(pid: int) -> dict[int, float]:
    """VmRSS of the server process and its children (the workers), MiB."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    rss = {}
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss[each] = int(line.split()[1]) / 1024
    return rss


def _pct(times: list[float], q: int) -> float:
    return float(np.percentile(times, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200, help="per latency figure")
    parser.add_argument("--seconds", type=float, default=10.0, help="per throughput level")
    parser.add_argument("--max-requests", type=int, default=3000, help="per throughput level")
    args = parser.parse_args()
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    logging.disable(logging.WARNING)  # Kedro's runner logs every node of the data preparation

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
    history = inference.event_history(tables["train"], tables["test"])
    carried = {
        "rossmann_model": network,
        "rossmann_processors": processor.to_dict(),
        **run_feature_pipeline(tables, inference.carried_tables()),
        "rossmann_event_history": history,
    }
    test = inference.serving_frame(tables["test"]).reset_index(drop=True)
    past = tables["train"].loc[
        tables["train"]["Date"] >= tables["train"]["Date"].max() - pd.Timedelta(days=60)
    ]
    extra = past.head(BATCH_ROWS - len(test))
    extra = extra.assign(Open=1.0, Id=np.arange(len(extra)) + test["Id"].max() + 1)
    batch = pd.concat([test, inference.serving_frame(extra)], ignore_index=True)
    batch = batch.head(BATCH_ROWS).reset_index(drop=True)
    print(f"data: {source}; setup {time.perf_counter() - start:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
        mlflow.set_experiment(experiment_name="bench_serving")
        with mlflow.start_run():
            info = log_pipeline_model(carried, data_params, test.head(5))
        local = Path(mlflow.artifacts.download_artifacts(info.model_uri, dst_path=f"{tmp}/model"))
        files = [path for path in local.rglob("*") if path.is_file()]
        size = sum(path.stat().st_size for path in files) / 2**20
        print(f"model size on disk: {size:.1f} MiB in {len(files)} files")

        served = inference.ServedPipeline(
            network, processor.to_dict(), carried, history, data_params
        )
        one = test.head(1)
        served.predict(one)
        cpu, wall = [], []
        for _ in range(args.requests):
            w, c = time.perf_counter(), time.process_time()
            served.predict(one)
            wall.append(1000 * (time.perf_counter() - w))
            cpu.append(1000 * (time.process_time() - c))
        reference = statistics.median(wall)
        print(
            f"reference, one row in process (ServedPipeline.predict): p50 {reference:.1f} ms "
            f"wall, {statistics.median(cpu):.1f} ms CPU"
        )

        log = Path(tmp) / "server.log"
        server, port = start_in_background(str(local), log, args.workers, START_S)
        try:
            time.sleep(2)  # every worker up
            _latencies(port, _body(one), args.workers * 2)  # each worker warmed up
            rss_before = _rss_mib(server.pid)
            lines_before = len(log.read_text().splitlines())
            requests = 0
            print(f"\nover HTTP ({args.workers} worker(s), 127.0.0.1), one client:")
            for rows in (1, 100):
                times = _latencies(port, _body(test.head(rows)), args.requests)
                requests += args.requests + 1
                print(
                    f"  {rows:>3} row(s): p50 {_pct(times, 50):6.1f} ms, p95 "
                    f"{_pct(times, 95):6.1f} ms ({args.requests} requests; "
                    f"p50 / in-process reference {_pct(times, 50) / reference:.2f}x)"
                )
            print("one-row requests, concurrent clients:")
            for clients in (1, 4, 8):
                rate, p50, count = _throughput(
                    port, _body(one), clients, args.seconds, args.max_requests
                )
                requests += count
                print(f"  {clients} client(s): {rate:6.1f} requests/s, p50 {p50:6.1f} ms")
            body = _body(batch)
            start = time.perf_counter()
            status, answer = Client(port).post(body)
            seconds = time.perf_counter() - start
            requests += 1
            assert status == 200 and len(json.loads(answer)["predictions"]) == len(batch)
            print(
                f"batch of {len(batch):,} rows ({len(body) / 2**20:.1f} MiB of JSON): "
                f"{seconds:.2f} s, {len(batch) / seconds:,.0f} rows/s"
            )
            rss_after = _rss_mib(server.pid)
            lines = len(log.read_text().splitlines()) - lines_before
            print(
                "server RSS MiB (pid: after start -> after the run): "
                + ", ".join(
                    f"{pid}: {rss_before.get(pid, 0):.0f} -> {mib:.0f}"
                    for pid, mib in rss_after.items()
                )
            )
            print(
                f"log lines: {lines} for {requests} requests ({1000 * lines / requests:.0f} per 1,000)"
            )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            code = server.wait(timeout=60)
            print(f"server stopped by SIGTERM, exit code {code}")
    print(
        f"load average (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
