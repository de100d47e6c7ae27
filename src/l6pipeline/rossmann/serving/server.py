"""``make serve``: the Rossmann MLflow model over HTTP, MLflow's scoring protocol, our answers.

    python -m l6pipeline.rossmann.serving.server --model-uri models:/m-... [--port 5001] [--workers 2]
        [--max-body-mb 10] [--log-file serve.log]

The same endpoints and JSON as ``mlflow models serve`` (``POST /invocations`` with
``dataframe_split`` or ``dataframe_records``, ``{"predictions": [...]}`` back; ``/ping``,
``/health``, ``/version``) on uvicorn, the server MLflow uses, with what MLflow's own scoring
server cannot give: a refused request is a 400 whose message is the contract's one sentence
(MLflow prefixes every model error with the whole request printed as a table); a body over
``--max-body-mb`` is a 413 before it is parsed; one log line per request at INFO (method, path,
status, rows, milliseconds; a client's mistake is never an ERROR), no log file unless
``--log-file`` (then a rotating one); SIGTERM or Ctrl-C stops every worker and exits 0.
Each worker loads the model once (:class:`~.mlflow_model.RossmannModel`) and answers requests
with its :class:`~.inference.ServedPipeline`, no Kedro runner and no MLflow schema cast.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.config
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pandas as pd

from l6pipeline.rossmann.serving.contract import ServingInputError

logger = logging.getLogger("l6pipeline.rossmann.serving")

# The worker processes read their settings from the environment (uvicorn starts them).
MODEL_PATH_ENV = "L6PIPELINE_SERVING_MODEL_PATH"
MAX_BODY_ENV = "L6PIPELINE_SERVING_MAX_BODY_BYTES"
LOG_FILE_ENV = "L6PIPELINE_SERVING_LOG_FILE"
WORKERS_ENV = "L6PIPELINE_SERVING_WORKERS"
DEFAULT_MAX_BODY_MB = 10.0
LOG_FILE_BYTES, LOG_FILE_BACKUPS = 10 * 2**20, 3
FORMATS = ("dataframe_split", "dataframe_records")
_LOGGED_MESSAGE_CHARS = 300


def logging_config(log_file: str | None = None) -> dict:
    """INFO lines of the server and uvicorn to stderr (and a rotating ``log_file``); every other
    logger (Kedro's, MLflow's) at WARNING; uvicorn's access log off (we log each request)."""
    handlers = {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stderr",
        }
    }
    if log_file:
        handlers["file"] = {
            "class": "logging.handlers.RotatingFileHandler",
            "formatter": "line",
            "filename": log_file,
            "maxBytes": LOG_FILE_BYTES,
            "backupCount": LOG_FILE_BACKUPS,
            "encoding": "utf8",
        }
    mine = {"handlers": list(handlers), "level": "INFO", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": handlers,
        "loggers": {
            "l6pipeline.rossmann.serving": mine,
            "uvicorn": mine,
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": list(handlers), "level": "WARNING"},
    }


def _error(status: int, message: str, code: str = "INVALID_PARAMETER_VALUE"):
    from starlette.responses import JSONResponse  # noqa: PLC0415 (server extra, imported late)

    return JSONResponse({"error_code": code, "message": message}, status_code=status)


def request_frame(body: bytes) -> pd.DataFrame:
    """The JSON body's rows as the client sent them (no cast), or ServingInputError."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ServingInputError(
            f"the body is not JSON ({error.__class__.__name__}: {error})."
        ) from None
    keys = [key for key in payload if key in FORMATS] if isinstance(payload, dict) else []
    if not isinstance(payload, dict) or len(keys) != 1 or len(payload) != 1:
        raise ServingInputError(
            "the body must be a JSON object with exactly one key, dataframe_split "
            '({"columns": [...], "data": [[...], ...]}) or dataframe_records ([{...}, ...]).'
        )
    data = payload[keys[0]]
    try:
        if keys[0] == "dataframe_split":
            if not isinstance(data, dict) or set(data) - {"columns", "data", "index"}:
                raise ValueError("dataframe_split needs the keys columns and data")
            return pd.DataFrame(data.get("data"), columns=data.get("columns"))
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise ValueError("dataframe_records must be a list of objects")
        return pd.DataFrame.from_records(data) if data else pd.DataFrame()
    except (ValueError, TypeError) as error:
        raise ServingInputError(f"the rows are not a table: {error}.") from None


def create_app():
    """The ASGI app of one uvicorn worker: the model of the launcher's settings loaded once."""
    import mlflow  # noqa: PLC0415
    import torch  # noqa: PLC0415

    model = mlflow.pyfunc.load_model(os.environ[MODEL_PATH_ENV])
    served = model.unwrap_python_model().served
    workers = int(os.environ.get(WORKERS_ENV, "1"))
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))  # workers share the cores
    # Kedro's runner module configures logging when imported (KEDRO_LOGGING_CONFIG: ours).
    logging.config.dictConfig(logging_config(os.environ.get(LOG_FILE_ENV)))
    return build_app(served, int(os.environ[MAX_BODY_ENV]))


async def read_body(request, limit: int) -> bytes | None:
    """The body, or None once it passes ``limit`` bytes (not read further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def answer_json(served, body: bytes) -> tuple[str, int]:
    """The JSON answer of ``served`` to a request body, and its number of rows."""
    predictions = served.predict(request_frame(body))
    records = predictions.to_json(orient="records", double_precision=15)
    return f'{{"predictions": {records}}}', len(predictions)


async def invocation(request, served, limit: int):
    """(response, rows answered or "-", a note for the log line) of one ``POST /invocations``:
    a 413 over the body limit, a 415 for another content type, a 400 for a refused request
    (the contract's sentence), a 500 for a server fault (logged with its traceback)."""
    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415 (server extra)
    from starlette.responses import Response  # noqa: PLC0415

    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    body = await read_body(request, limit)
    if body is None:
        message = (
            f"the request body is over the server's limit of {limit:,} bytes: send fewer "
            "rows per request, or start the server with a larger --max-body-mb "
            "(make serve MAX_BODY_MB=...)."
        )
        return _error(413, message, "REQUEST_LIMIT_EXCEEDED"), "-", ""
    if content_type != "application/json":
        return _error(415, f"send application/json, not {content_type or 'no type'!r}."), "-", ""
    try:
        content, count = await run_in_threadpool(answer_json, served, body)
    except ServingInputError as error:
        return _error(400, str(error)), "-", f": {str(error)[:_LOGGED_MESSAGE_CHARS]}"
    except Exception:
        logger.exception("POST /invocations failed (a server fault, not the request's)")
        message = "the server failed on this request; see its log."
        return _error(500, message, "INTERNAL_ERROR"), "-", ""
    return Response(content, 200, media_type="application/json"), str(count), ""


def build_app(served, max_body_bytes: int):
    """The HTTP endpoints around ``served`` (a :class:`~.inference.ServedPipeline`)."""
    import mlflow  # noqa: PLC0415
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.responses import Response  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415

    async def invocations(request):
        start = time.perf_counter()
        response, rows, note = await invocation(request, served, max_body_bytes)
        millis = 1000 * (time.perf_counter() - start)
        logger.info(
            "POST /invocations %d rows=%s %.1f ms%s", response.status_code, rows, millis, note
        )
        return response

    async def ping(request):
        return Response("\n", 200, media_type="application/json")

    async def version(request):
        return Response(mlflow.__version__, 200, media_type="application/json")

    routes = [
        Route("/invocations", invocations, methods=["POST"]),
        Route("/ping", ping, methods=["GET"]),
        Route("/health", ping, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
    ]
    return Starlette(routes=routes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", required=True, help="models:/<id>, runs:/..., or a folder")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (each loads the model)"
    )
    parser.add_argument("--max-body-mb", type=float, default=DEFAULT_MAX_BODY_MB)
    parser.add_argument("--log-file", default=None, help="also log to this rotating file")
    args = parser.parse_args(argv)
    if args.workers < 1 or not math.isfinite(args.max_body_mb) or args.max_body_mb <= 0:
        parser.error("--workers must be >= 1 and --max-body-mb a positive number")
    import mlflow  # noqa: PLC0415
    import uvicorn  # noqa: PLC0415

    config = logging_config(args.log_file)
    logging.config.dictConfig(config)
    local = mlflow.artifacts.download_artifacts(args.model_uri)  # once, for every worker
    os.environ[MODEL_PATH_ENV] = str(Path(local).resolve())
    os.environ[MAX_BODY_ENV] = str(int(args.max_body_mb * 2**20))
    os.environ[WORKERS_ENV] = str(args.workers)
    if args.log_file:
        os.environ[LOG_FILE_ENV] = str(Path(args.log_file).resolve())
    logger.info(
        "serving %s on http://%s:%d with %d worker(s), body limit %.1f MB",
        args.model_uri,
        args.host,
        args.port,
        args.workers,
        args.max_body_mb,
    )
    # uvicorn re-raises the signal that stopped it once it has shut down; with these handlers
    # that is a no-op, so SIGTERM or Ctrl-C ends in a clean exit 0 (no traceback, no make error).
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: None)
    with tempfile.TemporaryDirectory() as tmp:
        # Importing Kedro's runner (the feature chain does) applies KEDRO_LOGGING_CONFIG, else the
        # project's conf/logging.yml with its info.log: the workers get our configuration.
        kedro_logging = Path(tmp) / "logging.json"  # JSON is YAML
        kedro_logging.write_text(json.dumps(config))
        os.environ["KEDRO_LOGGING_CONFIG"] = str(kedro_logging)
        uvicorn.run(
            "l6pipeline.rossmann.serving.server:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=config,
            access_log=False,
            timeout_graceful_shutdown=30,
        )
    return 0


def start_in_background(
    model_uri: str, log_path: Path, workers: int = 1, timeout: float = 300.0
) -> tuple[subprocess.Popen, int]:
    """This server on a free loopback port in a new process group, its output in
    ``log_path``; returns (process, port) once ``/ping`` answers, or raises RuntimeError with
    the log's tail when it exits or does not answer within ``timeout`` seconds (for tests and
    benchmarks; stop it with ``os.killpg(process.pid, signal.SIGTERM)``)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "l6pipeline.rossmann.serving.server", "--model-uri", model_uri]
    command += ["--port", str(port), "--workers", str(workers)]
    with Path(log_path).open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                tail = Path(log_path).read_text()[-3000:]
                raise RuntimeError(f"the model server did not start:\n{tail}") from None
            time.sleep(0.5)


if __name__ == "__main__":
    raise SystemExit(main())
