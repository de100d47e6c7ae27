"""The HTTP layer of ``make serve`` in process (Starlette's test client): MLflow's scoring
protocol, each refused request a 400 with the contract's sentence (never an echo of the
request), a clear 413 above the body limit, one log line per request, never at ERROR for a
client's mistake; a good request right after each bad one is answered."""

from __future__ import annotations

import json
import logging
import warnings

import pandas as pd
import pytest

with warnings.catch_warnings():  # Starlette's note on httpx versions, not about this code
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from l6pipeline.rossmann.serving.server import build_app, logging_config

LIMIT = 8_000


@pytest.fixture(scope="module")
def client(served) -> TestClient:
    return TestClient(build_app(served, LIMIT))


def split(rows: pd.DataFrame) -> dict:
    return {"dataframe_split": json.loads(rows.to_json(orient="split", index=False))}


def post(client: TestClient, payload, **kwargs):
    return client.post("/invocations", json=payload, **kwargs)


def assert_good_request_works(client, test_rows, served) -> None:
    rows = test_rows.head(3)
    response = post(client, split(rows))
    assert response.status_code == 200
    got = pd.DataFrame(response.json()["predictions"])
    want = served.predict(rows)
    assert got["Id"].tolist() == want["Id"].tolist()
    assert got["Sales"].tolist() == pytest.approx(want["Sales"].tolist(), rel=1e-12)


def test_split_and_records_get_the_in_process_answer(client, test_rows, served):
    assert_good_request_works(client, test_rows, served)
    rows = test_rows.head(4)
    records = json.loads(rows.to_json(orient="records"))
    response = post(client, {"dataframe_records": records})
    assert response.status_code == 200
    assert [p["Id"] for p in response.json()["predictions"]] == rows["Id"].tolist()


def raw_split(test_rows: pd.DataFrame, column: str, value) -> dict:
    """Two rows as JSON with ``value`` (any JSON value) in row 1 of ``column``."""
    payload = split(test_rows.head(2))
    position = payload["dataframe_split"]["columns"].index(column)
    payload["dataframe_split"]["data"][1][position] = value
    return payload


BAD_CELLS = [
    ("Store", 1.5, "column 'Store' is not a whole number: 1.5 (index 1)."),
    ("Store", 1.9999, "column 'Store' is not a whole number: 1.9999 (index 1)."),
    ("Store", 44.7, "column 'Store' is not a whole number: 44.7 (index 1)."),
    ("Promo", 0.9, "column 'Promo' is not a whole number: 0.9 (index 1)."),
    ("Store", 1e20, "column 'Store' is outside the 64-bit integer range: 1e+20 (index 1)."),
    ("Store", 10**20, "column 'Store' is outside the 64-bit integer range: 100000000000000000000"),
    ("Store", None, "column 'Store' is missing: null (index 1)."),
    ("Promo", True, "column 'Promo' is not a number: True (index 1)."),
    ("Date", "2015-02-30", "column 'Date' is not a date (YYYY-MM-DD): '2015-02-30' (index 1)."),
    ("Store", 9999, "column 'Store' is not in the store table the model carries"),
]


@pytest.mark.parametrize(("column", "value", "expected"), BAD_CELLS)
def test_a_bad_cell_is_a_400_with_one_sentence_then_a_good_request_works(
    client, test_rows, served, column, value, expected
):
    response = post(client, raw_split(test_rows, column, value))
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert expected in body["message"]
    assert "\n" not in body["message"] and "Failed to predict" not in body["message"]
    assert_good_request_works(client, test_rows, served)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"dataframe_split": {"columns": [], "data": []}}, "the request has no rows"),
        ({"dataframe_records": []}, "the request has no rows"),
        ({"inputs": [[1, 2]]}, "exactly one key, dataframe_split"),
        ([1, 2], "exactly one key, dataframe_split"),
        ({"dataframe_split": {"columns": ["Id"], "data": [[1, 2]]}}, "the rows are not a table"),
        ({"dataframe_split": [1]}, "the rows are not a table"),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_fix(client, test_rows, served, payload, expected):
    response = post(client, payload)
    assert response.status_code == 400
    assert expected in response.json()["message"]
    assert_good_request_works(client, test_rows, served)


def test_an_extra_column_is_refused(client, test_rows, served):
    records = json.loads(test_rows.head(2).assign(Customers=3).to_json(orient="records"))
    response = post(client, {"dataframe_records": records})
    assert response.status_code == 400
    assert response.json()["message"].startswith("column 'Customers' is not one of the model's")
    assert_good_request_works(client, test_rows, served)


def test_not_json_and_wrong_type_are_refused(client, test_rows, served):
    response = client.post(
        "/invocations", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["message"].startswith(
        "the body is not JSON"
    )
    response = client.post("/invocations", content=b"a,b", headers={"content-type": "text/csv"})
    assert response.status_code == 415
    assert_good_request_works(client, test_rows, served)


def test_a_body_over_the_limit_is_a_413_before_it_is_parsed(client, test_rows, served):
    big = pd.concat([test_rows] * 3, ignore_index=True)
    response = post(client, split(big))
    assert response.status_code == 413, response.text
    assert response.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert f"limit of {LIMIT:,} bytes" in response.json()["message"]
    # Without a Content-Length (a chunked upload), the limit holds while reading.
    chunks = (b"x" * 5000 for _ in range(10))
    response = client.post(
        "/invocations", content=chunks, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert_good_request_works(client, test_rows, served)


def test_health_and_version(client):
    assert client.get("/ping").status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/version").text


def test_one_info_line_per_request_and_client_mistakes_are_not_errors(client, test_rows, caplog):
    caplog.set_level(logging.DEBUG)
    requests = [split(test_rows.head(2)), raw_split(test_rows, "Store", 1.5), {"inputs": []}]
    for payload in requests * 5:
        post(client, payload)
    records = [r for r in caplog.records if r.name.startswith(("l6pipeline", "kedro", "uvicorn"))]
    assert len(records) == 15
    assert {record.levelno for record in records} == {logging.INFO}
    assert all(record.getMessage().startswith("POST /invocations ") for record in records)
    assert sum(" 200 rows=2 " in record.getMessage() for record in records) == 5


def test_no_log_file_unless_asked_then_a_rotating_one(tmp_path):
    assert "file" not in logging_config()["handlers"]
    handler = logging_config(str(tmp_path / "serve.log"))["handlers"]["file"]
    assert handler["class"] == "logging.handlers.RotatingFileHandler"
    assert handler["maxBytes"] > 0 and handler["backupCount"] > 0
