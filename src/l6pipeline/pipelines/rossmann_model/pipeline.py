"""The entity-embedding model of the lesson on the ``rossmann_data`` feature tables.

split by date -> processors fitted on the training split -> arrays for every split -> LR finder
-> networks (one-cycle AdamW, best epoch kept, one per seed) and LightGBM (early-stopped) on the
same arrays -> their ensemble (log-space mean, blend weight and RMSPE scale fitted on the
validation split) -> metrics, figures, worst stores, Kaggle submission, the model in MLflow. Details:
``docs/rossmann_model.md``.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines.rossmann_model import nodes

PARAMS = "params:rossmann_model"
TRAIN = "params:rossmann_model_train"
ENSEMBLE = "params:rossmann_model_ensemble"


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
                nodes.find_learning_rate,
                [
                    "rossmann_processors",
                    "rossmann_model_inputs",
                    "params:rossmann_model_network",
                    TRAIN,
                    "params:rossmann_model_lr_finder",
                ],
                ["rossmann_lr_finder", "rossmann_lr_finder_plot"],
                name="find_learning_rate",
            ),
            Node(
                nodes.train_networks,
                [
                    "rossmann_processors",
                    "rossmann_model_inputs",
                    "params:rossmann_model_network",
                    TRAIN,
                    f"{ENSEMBLE}.members",
                    "rossmann_lr_finder",
                ],
                ["rossmann_networks", "rossmann_learning_curve"],
                name="train_networks",
            ),
            Node(
                nodes.train_baseline,
                ["rossmann_processors", "rossmann_model_inputs", "params:rossmann_model_baseline"],
                ["rossmann_lightgbm", "rossmann_baseline_metrics", "rossmann_lightgbm_curve"],
                name="train_lightgbm",
            ),
            Node(
                nodes.build_ensemble,
                [
                    "rossmann_networks",
                    "rossmann_lightgbm",
                    "rossmann_processors",
                    "rossmann_model_inputs",
                    ENSEMBLE,
                ],
                ["rossmann_model", "rossmann_ensemble_metrics"],
                name="build_ensemble",
            ),
            Node(
                nodes.evaluate_model,
                [
                    "rossmann_model",
                    "rossmann_model_inputs",
                    "rossmann_model_valid_rows",
                ],
                ["rossmann_valid_predictions", "rossmann_network_metrics"],
                name="evaluate_model",
            ),
            Node(
                nodes.report_metrics,
                [
                    "rossmann_network_metrics",
                    "rossmann_ensemble_metrics",
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
