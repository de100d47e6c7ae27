"""The batch pipeline: a raw file -> the latest (or a chosen) logged model -> versioned
predictions (``kedro run --pipelines rossmann_predict``). The model itself, and the inference
pipeline it runs, are :mod:`l6pipeline.rossmann.serving`'s. Details: ``docs/serving.md``.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines.rossmann_predict import nodes


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
