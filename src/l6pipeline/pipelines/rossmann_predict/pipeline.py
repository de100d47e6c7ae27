"""The inference pipeline the MLflow model runs, and the batch pipeline that uses that model.

Inference (``create_inference_pipeline``, logged by ``rossmann_model`` as one MLflow model):
raw test-format rows -> the test table's validation -> ``rossmann_data``'s row-wise feature
chain over the carried store / trend / weather tables and event history -> the fitted
processors -> the model -> ``Id, Sales``. Its inputs besides the request are the training
run's own datasets, under their catalog names.

Batch (``create_pipeline``, ``kedro run --pipelines rossmann_predict``): a raw file -> the
latest (or a chosen) logged model -> versioned predictions. Details: ``docs/serving.md``.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines.rossmann_predict import nodes

#: The inference pipeline's input that the model's user provides.
REQUEST = "rossmann_request"


def create_inference_pipeline() -> Pipeline:
    return Pipeline(
        [
            Node(
                nodes.check_request,
                [
                    REQUEST,
                    "rossmann_store",
                    "rossmann_weather",
                    "rossmann_trend_state",
                    "rossmann_trend_national",
                ],
                "rossmann_request_rows",
                name="check_request",
            ),
            Node(
                nodes.build_request_features,
                [
                    "rossmann_request_rows",
                    "rossmann_store",
                    "rossmann_trend_state",
                    "rossmann_trend_national",
                    "rossmann_weather",
                    "rossmann_event_history",
                    "params:rossmann_data",
                ],
                "rossmann_request_features",
                name="build_request_features",
            ),
            Node(
                nodes.predict_request,
                [
                    "rossmann_request_features",
                    "rossmann_request_rows",
                    "rossmann_processors",
                    "rossmann_model",
                ],
                "rossmann_request_predictions",
                name="predict_request",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                nodes.predict_file,
                ["rossmann_predict_input", "params:rossmann_predict"],
                "rossmann_predictions",
                name="predict_file",
            )
        ]
    )
