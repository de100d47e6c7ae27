"""The entity-embedding model of the lesson on the ``rossmann_data`` feature tables.

split by date -> processors fitted on the training split -> arrays for every split ->
network (one-cycle AdamW) and LightGBM baseline on the same arrays -> metrics, figures,
worst stores, Kaggle submission, and the model logged to MLflow. Details:
``docs/rossmann_model.md``.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines.rossmann_model import nodes

PARAMS = "params:rossmann_model"


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                nodes.split_by_date,
                ["rossmann_train_features", "rossmann_test_features", PARAMS],
                ["rossmann_model_train_rows", "rossmann_model_valid_rows"],
                name="split_by_date",
            ),
            Node(
                nodes.fit_processors,
                [
                    "rossmann_model_train_rows",
                    "rossmann_model_valid_rows",
                    "rossmann_test_features",
                    PARAMS,
                ],
                ["rossmann_processors", "rossmann_model_inputs"],
                name="fit_processors",
            ),
            Node(
                nodes.train_network,
                [
                    "rossmann_processors",
                    "rossmann_model_inputs",
                    f"{PARAMS}.model",
                    "params:rossmann_model_train",
                ],
                ["rossmann_model", "rossmann_learning_curve"],
                name="train_network",
            ),
            Node(
                nodes.evaluate_network,
                [
                    "rossmann_model",
                    "rossmann_model_inputs",
                    "rossmann_model_valid_rows",
                ],
                ["rossmann_valid_predictions", "rossmann_network_metrics"],
                name="evaluate_network",
            ),
            Node(
                nodes.train_baseline,
                ["rossmann_processors", "rossmann_model_inputs", "params:rossmann_model_baseline"],
                "rossmann_baseline_metrics",
                name="train_lightgbm_baseline",
            ),
            Node(
                nodes.report_metrics,
                [
                    "rossmann_network_metrics",
                    "rossmann_learning_curve",
                    "rossmann_baseline_metrics",
                    "rossmann_model_valid_rows",
                ],
                ["rossmann_model_metrics", "rossmann_model_summary"],
                name="report_metrics",
            ),
            Node(
                nodes.worst_stores,
                [
                    "rossmann_valid_predictions",
                    "rossmann_model_valid_rows",
                    f"{PARAMS}.report.worst_stores",
                ],
                "rossmann_worst_stores",
                name="worst_stores",
            ),
            Node(
                nodes.plot_learning_curve,
                ["rossmann_learning_curve", "rossmann_baseline_metrics"],
                "rossmann_learning_curve_plot",
                name="plot_learning_curve",
            ),
            Node(
                nodes.plot_predicted_vs_actual,
                ["rossmann_valid_predictions", "rossmann_network_metrics"],
                "rossmann_predicted_vs_actual_plot",
                name="plot_predicted_vs_actual",
            ),
            Node(
                nodes.plot_embeddings,
                [
                    "rossmann_model",
                    "rossmann_processors",
                    "rossmann_model_train_rows",
                    f"{PARAMS}.report.embedding_plots",
                ],
                "rossmann_embeddings_plot",
                name="plot_embeddings",
            ),
            Node(
                nodes.predict_test,
                ["rossmann_model", "rossmann_model_inputs", "rossmann_test_features"],
                "rossmann_submission",
                name="predict_test",
            ),
            Node(
                nodes.log_model,
                [
                    "rossmann_model",
                    "rossmann_processors",
                    "rossmann_store",
                    "rossmann_trend_state",
                    "rossmann_trend_national",
                    "rossmann_weather",
                    "validated_train",
                    "validated_test",
                    "params:rossmann_data",
                    "params:rossmann_predict.model_name",
                ],
                None,
                name="log_model_to_mlflow",
            ),
        ]
    )
